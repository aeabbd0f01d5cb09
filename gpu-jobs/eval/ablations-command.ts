// `vitrine eval --ablations`: get a finished pre-training run for every ablation config and seed
// (reuse one with the same config, resume a partial one, or train it in a child process), then rank
// the test half of the held-out clicks as serving would and print seed 003's and seed 001's tables
// as means over the seeds, with a mean ± sd summary of the slices that decide (DESIGN §8).
import { join, relative } from "node:path";
import { blendLabel, type Blend, type BlendFit } from "../../core/index.ts";
import type { PresetName } from "../model/config.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { resolvePretrainConfig, type PretrainConfig } from "../train/pretrain-config.ts";
import { runTrainJobs, type TrainJob } from "./ablation-train.ts";
import { ABLATION_TABLES, selectAblationRows, uniqueRuns, type AblationRun } from "./ablation-variants.ts";
import { candidateIndex, exampleQueries, hashBaselineVectors, loadEvalContext, scoreIndex } from "./eval-context.ts";
import { oracleVariants } from "./oracle.ts";
import { formatTable, writeReport, type ExampleQuery, type ReportGroup, type VariantResult } from "./report.ts";
import { encodeRun } from "./run-vectors.ts";
import { applyFinetune } from "./finetuned-vectors.ts";
import { meanProbe, probeRun, type ModelProbe } from "./model-probe.ts";
import { RETRAIN_FINETUNE_STEPS } from "../train/finetune-defaults.ts";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { meanMetrics, pairedSummary, seedSummary, type AblationSeeds, type SeedRow } from "./seed-summary.ts";
import { listFinishedRuns, planRun, readRunStatus, sameTraining, type RunPlan } from "./run-lookup.ts";
import { localDir } from "../../lancedb/index.ts";

/** Options of `vitrine eval --ablations`. */
export interface AblationsOptions {
  /** Data directory with held-out clicks; runs live in `<dataDir>/runs`. */
  dataDir: string;
  /** Model preset of every run. */
  preset: PresetName;
  /** Steps per run (default: the preset's). */
  steps?: number;
  /** Training seeds: every row is trained and scored once per seed (default 1, 2, 3). */
  seeds?: number[];
  /** Training runs at once. */
  concurrency: number;
  /** Data-parallel workers of every run (default ABLATION_WORKERS). */
  workers?: number;
  /** Comma-separated row names (default: every row). */
  only?: string;
  /** Report folder. */
  outDir: string;
  /** TF.js backend for training and evaluation. */
  backend?: BackendName;
  /** Fine-tuning steps of the fine-tuned rows (default: what retrain runs for the preset; 0: no such rows). */
  finetuneSteps?: number;
  /** Also measure the ANN index's recall on each run's vectors (first seed). */
  ann?: boolean;
  /** Fixed blends to score every run with as served, beside the fitted one (`--fixed-blend`). */
  fixedBlends?: Blend[];
  /** Fit the popularity prior with the blend, as publish does (default true, as publish; false: `--no-prior`). */
  prior?: boolean;
  /** An earlier ablation run's per-seed results (its seeds.json) to compare every row with, seed by seed (`--baseline`). */
  baseline?: { file: string; seeds: AblationSeeds };
  /** Program that runs the CLI for training (default: this Node with bin/vitrine.js; tests swap it). */
  trainCommand?: { file: string; args: string[] };
  /** The command line, for the report. */
  command: string;
  /** Progress lines (stderr). */
  log: (msg: string) => void;
}

/** What the ablations produced. */
export interface AblationsResult {
  /** The tables, seed 003's then seed 001's (rows of failed runs left out). */
  groups: ReportGroup[];
  /** Runs that failed: their id and why (with the log tail). */
  failures: { run: string; rows: string[]; message: string }[];
  /** Where each run's checkpoint came from. */
  plans: Map<string, RunPlan>;
}

/** The config a row's run must have, given the command's preset/steps and one seed. */
export function targetConfig(run: AblationRun, opts: Pick<AblationsOptions, "preset" | "steps" | "workers">, seed: number): PretrainConfig {
  return resolvePretrainConfig(opts.preset, { ...run.overrides, ...(opts.steps !== undefined ? { steps: opts.steps } : {}), seed, workers: opts.workers ?? ABLATION_WORKERS });
}

/** Ablation runs train on 2 workers whatever the machine unless told otherwise: the objective depends on the count, and CDNS needs two. */
export const ABLATION_WORKERS = 2;

const FT = "+ft";

/** Whether a fine-tuning run folder holds a checkpoint at its last step. */
async function finishedFinetune(dir: string, steps: number): Promise<boolean> {
  try {
    const name = (await readFile(join(dir, "latest"), "utf8")).trim();
    const m = JSON.parse(await readFile(join(dir, name, "manifest.json"), "utf8")) as { step?: number };
    return m.step === steps;
  } catch {
    return false;
  }
}

/**
 * Which pre-training checkpoint a fine-tuning started from: the run folder, its latest checkpoint
 * and when that was written. The folder alone is not enough: a run retrained in place (another
 * config) has the same folder, and its old fine-tuning must not be reused.
 */
async function sourceStamp(runDir: string): Promise<string> {
  const latest = (await readFile(join(runDir, "latest"), "utf8")).trim();
  const written = (await stat(join(runDir, latest, "manifest.json"))).mtime.toISOString();
  return `${runDir}\n${latest}\n${written}`;
}

/** Default training seeds of the ablation rows. */
export const DEFAULT_SEEDS: readonly number[] = [1, 2, 3];

// Paths relative to the data directory: runs/<name>.
const describePlan = (p: RunPlan, dataDir: string) => {
  const d = relative(dataDir, p.dir);
  return p.kind === "reuse"
    ? `reuse ${d} (step ${p.step})`
    : p.kind === "resume"
      ? `resume ${d} from step ${p.step}`
      : `train into ${d}${p.replaced ? " (replacing an unfinished run with another config)" : p.kept ? ` (keeping ${relative(dataDir, p.kept)}, a finished run with another config)` : ""}`;
};

/** Train what is missing, evaluate, print both tables and write the report. */
export async function runAblations(opts: AblationsOptions): Promise<AblationsResult> {
  const rows = selectAblationRows(opts.only);
  const runs = uniqueRuns(rows);
  const seeds = opts.seeds?.length ? opts.seeds : [...DEFAULT_SEEDS];
  // Before any training: an import without held-out clicks fails here, not after hours of it.
  const ctx = await loadEvalContext(opts.dataDir, opts.prior === false ? { prior: false } : {});
  const runsDir = join(localDir(opts.dataDir), "runs");
  // One training per (run, seed), keyed "<run>-s<seed>".
  const units = runs.flatMap((r) => seeds.map((seed) => ({ run: r, seed, key: `${r.id}-s${seed}` })));
  const targets = new Map(units.map((u) => [u.key, targetConfig(u.run, opts, u.seed)]));
  const finished = await listFinishedRuns(runsDir);
  const plans = new Map<string, RunPlan>();
  for (const u of units) {
    const plan = await planRun(join(runsDir, `ablation-${u.key}`), targets.get(u.key)!, finished);
    plans.set(u.key, plan);
    opts.log(`${u.key}: ${describePlan(plan, opts.dataDir)}`);
  }

  // Train (or resume) what no finished run covers, one child process per run.
  const failures: AblationsResult["failures"] = [];
  const rowsOf = (id: string) => rows.filter((x) => x.run.id === id).map((x) => x.label);
  const unitOf = new Map(units.map((u) => [u.key, u]));
  const jobs: TrainJob[] = units
    .filter((u) => plans.get(u.key)!.kind !== "reuse")
    .map((u) => {
      const plan = plans.get(u.key)!;
      const t = targets.get(u.key)!;
      return {
        name: u.key,
        logFile: `${plan.dir}.log`,
        args: [
          "pretrain",
          "--data",
          opts.dataDir,
          "--preset",
          opts.preset,
          "--steps",
          String(t.steps),
          "--seed",
          String(t.seed),
          "--workers",
          String(t.workers ?? ABLATION_WORKERS),
          ...u.run.flags,
          "--run-dir",
          plan.dir,
          "--quiet",
          ...(plan.kind === "resume" ? ["--resume"] : []),
          ...(opts.backend ? ["--backend", opts.backend] : []),
        ],
      };
    });
  const outcomes = await runTrainJobs(jobs, { concurrency: opts.concurrency, log: opts.log, ...(opts.trainCommand ? { command: opts.trainCommand } : {}) });
  const failed = new Set<string>();
  for (const o of outcomes) {
    const status = o.code === 0 ? await readRunStatus(plans.get(o.job.name)!.dir) : null;
    const ok = status !== null && status.step >= status.config.steps && sameTraining(status.config, targets.get(o.job.name)!);
    if (!ok) {
      failed.add(o.job.name);
      const why = o.code === 0 ? "exited 0 but left no finished checkpoint with the expected config" : `exit ${o.code ?? o.signal}`;
      failures.push({ run: o.job.name, rows: rowsOf(unitOf.get(o.job.name)!.run.id), message: `training ${o.job.name} failed (${why}); log ${o.job.logFile}${o.tail ? `:\n${o.tail}` : ""}` });
    } else plans.set(o.job.name, { kind: "reuse", dir: status.dir, step: status.step });
  }

  // Fine-tune every finished run as retrain would (seed 000's head), one child process each;
  // a finished fine-tuning of the same pre-training run is reused.
  const ftSteps = opts.finetuneSteps ?? RETRAIN_FINETUNE_STEPS[opts.preset];
  const ftDirs = new Map<string, string>();
  if (ftSteps > 0) {
    const ftJobs: TrainJob[] = [];
    for (const u of units) {
      if (failed.has(u.key)) continue;
      const from = plans.get(u.key)!.dir;
      const dir = join(runsDir, `ablation-${u.key}-ft${ftSteps}`);
      ftDirs.set(u.key, dir);
      const source = existsSync(join(dir, "from.txt")) ? (await readFile(join(dir, "from.txt"), "utf8")).trim() : null;
      if (source === (await sourceStamp(from)) && (await finishedFinetune(dir, ftSteps))) {
        opts.log(`${u.key}: reuse fine-tuning ${relative(opts.dataDir, dir)}`);
        continue;
      }
      opts.log(`${u.key}: fine-tune ${ftSteps} steps into ${relative(opts.dataDir, dir)}`);
      ftJobs.push({
        name: `${u.key}-ft`,
        logFile: `${dir}.log`,
        args: [
          "finetune",
          "--data",
          opts.dataDir,
          "--pretrain-dir",
          from,
          "--run-dir",
          dir,
          "--steps",
          String(ftSteps),
          "--seed",
          String(u.seed),
          ...(opts.backend ? ["--backend", opts.backend] : []),
        ],
      });
    }
    for (const o of await runTrainJobs(ftJobs, { concurrency: opts.concurrency, log: opts.log, ...(opts.trainCommand ? { command: opts.trainCommand } : {}) })) {
      const key = o.job.name.slice(0, -3);
      const dir = ftDirs.get(key)!;
      if (o.code === 0 && (await finishedFinetune(dir, ftSteps))) await writeFile(join(dir, "from.txt"), await sourceStamp(plans.get(key)!.dir));
      else {
        ftDirs.delete(key);
        failures.push({
          run: o.job.name,
          rows: rowsOf(unitOf.get(key)!.run.id).map((l) => `${l} + fine-tuned`),
          message: `fine-tuning ${key} failed (exit ${o.code ?? o.signal}); log ${o.job.logFile}${o.tail ? `:\n${o.tail}` : ""}`,
        });
      }
    }
  }

  // Evaluate every finished (run, seed) once, as served (fitted blend) and by its vector channel alone.
  await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log: () => undefined });
  const hash = hashBaselineVectors(ctx);
  const lexical = (await scoreIndex(ctx, "lexical (BM25)", (await candidateIndex(ctx, hash, { blend: { method: "convex", weight: 0 } })).index, hash.encode)).variant;
  const ceilings = oracleVariants(ctx);
  const served = new Map<string, SeedRow>();
  const vectors = new Map<string, SeedRow>();
  const fixedServed = new Map<string, SeedRow>();
  const notes: string[] = [];
  let lastRows: Int32Array[] | null = null;
  for (const u of units) {
    if (failed.has(u.key)) continue;
    const plan = plans.get(u.key)!;
    try {
      const v = await encodeRun(ctx, plan.dir);
      if (!v) throw new Error(`no checkpoint in ${plan.dir}`);
      const alone = await scoreIndex(ctx, u.key, (await candidateIndex(ctx, v, { blend: { method: "convex", weight: 1 } })).index, v.encode);
      const fitted = await candidateIndex(ctx, v);
      const hyb = await scoreIndex(ctx, u.key, fitted.index, v.encode);
      // The probe of the run's item vectors (as published and with the title masked), on both its rows.
      const probe = probeRun(ctx, v);
      const add = (m: Map<string, SeedRow>, t: VariantResult["metrics"], p: ModelProbe, fit?: BlendFit, suffix = "") => {
        const key = `${u.run.id}${suffix}`;
        const row = m.get(key) ?? { label: key, seeds: [], tables: [], weights: [], priors: [], probes: [] };
        row.seeds.push(u.seed);
        row.tables.push(t);
        row.probes!.push(p);
        if (fit) row.weights!.push(fit.blend.weight);
        if (fit?.priorGrid) row.priors!.push(fit.blend.prior ?? 0);
        m.set(key, row);
      };
      add(vectors, alone.variant.metrics, probe);
      add(served, hyb.variant.metrics, probe, fitted.fit);
      // The same vectors served with each fixed blend: what fitting the blend per shop buys.
      for (const blend of opts.fixedBlends ?? []) {
        const fixed = await scoreIndex(ctx, u.key, (await candidateIndex(ctx, v, { blend })).index, v.encode);
        add(fixedServed, fixed.variant.metrics, probe, undefined, ` @${blendLabel(blend)}`);
      }
      lastRows = hyb.rows;
      const ftDir = ftDirs.get(u.key);
      if (ftDir) {
        const ft = await applyFinetune(v, ftDir, ctx.data.items.ids);
        const ftAlone = await scoreIndex(ctx, u.key, (await candidateIndex(ctx, ft, { blend: { method: "convex", weight: 1 } })).index, ft.encode);
        const ftFitted = await candidateIndex(ctx, ft);
        const ftHyb = await scoreIndex(ctx, u.key, ftFitted.index, ft.encode);
        const ftProbe = probeRun(ctx, ft);
        add(vectors, ftAlone.variant.metrics, ftProbe, undefined, FT);
        add(served, ftHyb.variant.metrics, ftProbe, ftFitted.fit, FT);
      }
      if (opts.ann && u.seed === seeds[0]) {
        const { annRecallLine } = await import("./ann-recall.ts");
        notes.push(await annRecallLine(u.key, v.items, v.dim, await v.encode(ctx.queries)));
      }
    } catch (e) {
      failed.add(u.key);
      failures.push({ run: u.key, rows: rowsOf(u.run.id), message: `evaluating ${u.key} (${plan.dir}) failed: ${(e as Error).message}` });
    }
  }

  const groups: ReportGroup[] = [];
  const summaries: string[] = [];
  // Every row's metrics per seed, for paired comparisons across two ablation runs (QUALITY.md).
  const perSeed: { table: string; channels: "served" | "vectors"; row: SeedRow }[] = [];
  for (const table of Object.keys(ABLATION_TABLES) as (keyof typeof ABLATION_TABLES)[]) {
    const inTable = rows.filter((x) => x.table === table && served.has(x.run.id));
    if (inTable.length === 0) continue;
    // Each row, then its fine-tuned twin when there is one.
    const entries = (m: Map<string, SeedRow>) =>
      inTable.flatMap((x) => [
        { label: x.label, row: m.get(x.run.id)! },
        ...(m.has(`${x.run.id}${FT}`) ? [{ label: `${x.label} + fine-tuned (${ftSteps} steps)`, row: m.get(`${x.run.id}${FT}`)! }] : []),
      ]);
    const named = (e: { label: string; row: SeedRow }) => `${e.label} (${e.row.seeds.length} seed${e.row.seeds.length === 1 ? "" : "s"})`;
    const variant = (e: { label: string; row: SeedRow }): VariantResult => ({
      name: named(e),
      metrics: meanMetrics(e.row.tables),
      ...(e.row.probes?.length ? { probe: meanProbe(e.row.probes) } : {}),
    });
    groups.push({ title: `${ABLATION_TABLES[table]} — as served (vectors + BM25, blend fitted per run), mean over seeds`, variants: [lexical, ...ceilings, ...entries(served).map(variant)] });
    groups.push({ title: `${ABLATION_TABLES[table]} — vector channel alone, mean over seeds`, variants: entries(vectors).map(variant) });
    const relabel = (m: Map<string, SeedRow>) => entries(m).map((e) => ({ ...e.row, label: e.label }));
    for (const channels of ["served", "vectors"] as const) for (const row of relabel(channels === "served" ? served : vectors)) perSeed.push({ table, channels, row: { ...row, probes: undefined } });
    summaries.push(`${ABLATION_TABLES[table]}: mean ± sd over seeds (%), as served\n\n${seedSummary(relabel(served))}`);
    summaries.push(`${ABLATION_TABLES[table]}: mean ± sd over seeds (%), vector channel alone\n\n${seedSummary(relabel(vectors))}`);
    if (opts.baseline) {
      const before = opts.baseline.seeds.rows.filter((b) => b.table === table && b.channels === "served").map((b) => b.row);
      summaries.push(
        `${ABLATION_TABLES[table]}: as served, this run − ${opts.baseline.file} (${opts.baseline.seeds.command || "command not recorded"}), paired by seed: mean ± sd of the differences (points)\n\n${pairedSummary(relabel(served), before)}`,
      );
    }
    if (opts.fixedBlends?.length) {
      // Each row served with its fitted blend, then with every fixed one.
      const fixedRow = (x: (typeof inTable)[number], b: Blend) => fixedServed.get(`${x.run.id} @${blendLabel(b)}`);
      const blends = inTable.flatMap((x) => [
        { label: `${x.label}, fitted blend`, row: served.get(x.run.id)! },
        ...opts.fixedBlends!.flatMap((b) => {
          const row = fixedRow(x, b);
          return row ? [{ label: `${x.label}, fixed ${blendLabel(b)}`, row }] : [];
        }),
      ]);
      groups.push({ title: `${ABLATION_TABLES[table]} — as served, fitted vs fixed blends, mean over seeds`, variants: blends.map(variant) });
      summaries.push(`${ABLATION_TABLES[table]}: mean ± sd over seeds (%), fitted vs fixed blends\n\n${seedSummary(blends.map((e) => ({ ...e.row, label: e.label })))}`);
      // Paired by seed (the same models under two blends): what a fixed blend would change against the fit.
      const fitted = inTable.map((x) => ({ ...served.get(x.run.id)!, label: x.label }));
      for (const b of opts.fixedBlends) {
        const fixed = inTable.flatMap((x) => {
          const row = fixedRow(x, b);
          return row ? [{ ...row, label: x.label }] : [];
        });
        summaries.push(`${ABLATION_TABLES[table]}: as served, fixed ${blendLabel(b)} − the fitted blend, paired by seed: mean ± sd of the differences (points)\n\n${pairedSummary(fixed, fitted)}`);
      }
    }
  }

  for (const g of groups) console.log(`${g.title}\n\n${formatTable(g.variants)}\n`);
  for (const s of summaries) console.log(`${s}\n`);
  const sources = units.map((u) => `${u.key} ← ${failed.has(u.key) ? "FAILED" : relative(opts.dataDir, plans.get(u.key)!.dir)}`);
  const trained = outcomes.filter((o) => !failed.has(o.job.name)).map((o) => `${o.job.name} (${(o.seconds / 60).toFixed(1)} min)`);
  for (const f of failures) console.error(`vitrine eval: ${f.message}\n`);
  const last = [...rows].reverse().find((x) => served.has(x.run.id));
  const examples: ExampleQuery[] = last && lastRows ? await exampleQueries(ctx, last.label, lastRows) : [];
  const written = await writeReport(opts.outDir, {
    title: `Vitrine ablations — ${opts.preset} preset, seeds ${seeds.join(", ")}`,
    meta: {
      "test queries": String(ctx.queries.length),
      "unseen pairs": String(ctx.unseenPairs),
      judgments: String(ctx.judgments.length),
      runs: sources.join("; "),
      ...(trained.length ? { "trained now": trained.join(", ") } : {}),
      command: opts.command,
    },
    variants: [lexical],
    groups,
    notes: [...summaries, ...notes, ...failures.map((f) => `Failed (${f.rows.join(", ")}): ${f.message.split("\n")[0]}`)],
    examples,
  });
  const seedsFile = join(opts.outDir, "seeds.json");
  await writeFile(seedsFile, `${JSON.stringify({ command: opts.command, rows: perSeed })}\n`);
  console.log(`runs: ${sources.join("; ")}`);
  console.log(`report: ${written.markdown}  ${written.html}  ${seedsFile}`);
  return { groups, failures, plans };
}
