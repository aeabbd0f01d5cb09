// `vitrine eval --ablations`: get a finished pre-training run for every ablation config (reuse one
// with the same config, resume a partial one, or train it in a child process), then evaluate
// them all on the held-out clicks and print seed 003's and seed 001's tables.
import { join, relative } from "node:path";
import type { PresetName } from "../model/config.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { resolvePretrainConfig, type PretrainConfig } from "../train/pretrain-config.ts";
import { runTrainJobs, type TrainJob } from "./ablation-train.ts";
import { ABLATION_TABLES, selectAblationRows, uniqueRuns, type AblationRun } from "./ablation-variants.ts";
import { encodeRun, exampleQueries, hashBaselineVectors, loadEvalContext, scoreVectors, type EncodedVectors } from "./eval-context.ts";
import { formatTable, writeReport, type ExampleQuery, type ReportGroup, type VariantResult } from "./report.ts";
import { listFinishedRuns, planRun, readRunStatus, sameTraining, type RunPlan } from "./run-lookup.ts";

/** Options of `vitrine eval --ablations`. */
export interface AblationsOptions {
  /** Data directory with held-out clicks; runs live in `<dataDir>/runs`. */
  dataDir: string;
  /** Model preset of every run. */
  preset: PresetName;
  /** Steps per run (default: the preset's). */
  steps?: number;
  /** Training seed (default: the config default). */
  seed?: number;
  /** Training runs at once. */
  concurrency: number;
  /** Comma-separated row names (default: every row). */
  only?: string;
  /** Report folder. */
  outDir: string;
  /** TF.js backend for training and evaluation. */
  backend?: BackendName;
  /** Called with every run's vectors and exact rankings after scoring (the ANN check hooks in here); a returned line goes into the report. */
  onVectors?: (name: string, v: EncodedVectors, exact: Int32Array[]) => Promise<string | null>;
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

/** The config a row's run must have, given the command's preset/steps/seed. */
export function targetConfig(run: AblationRun, opts: Pick<AblationsOptions, "preset" | "steps" | "seed">): PretrainConfig {
  return resolvePretrainConfig(opts.preset, { ...run.overrides, ...(opts.steps !== undefined ? { steps: opts.steps } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
}

// Paths relative to the data directory: runs/<name>.
const describePlan = (p: RunPlan, dataDir: string) => {
  const d = relative(dataDir, p.dir);
  return p.kind === "reuse" ? `reuse ${d} (step ${p.step})` : p.kind === "resume" ? `resume ${d} from step ${p.step}` : `train into ${d}${p.replaced ? " (replacing a run with another config)" : ""}`;
};

/** Train what is missing, evaluate, print both tables and write the report. */
export async function runAblations(opts: AblationsOptions): Promise<AblationsResult> {
  const rows = selectAblationRows(opts.only);
  const runs = uniqueRuns(rows);
  // Before any training: an import without held-out clicks fails here, not after hours of it.
  const ctx = await loadEvalContext(opts.dataDir);
  const runsDir = join(opts.dataDir, "runs");
  const targets = new Map(runs.map((r) => [r.id, targetConfig(r, opts)]));
  const finished = await listFinishedRuns(runsDir);
  const plans = new Map<string, RunPlan>();
  for (const r of runs) {
    const plan = await planRun(join(runsDir, `ablation-${r.id}`), targets.get(r.id)!, finished);
    plans.set(r.id, plan);
    opts.log(`${r.id}: ${describePlan(plan, opts.dataDir)}`);
  }

  // Train (or resume) what no finished run covers, one child process per run.
  const failures: AblationsResult["failures"] = [];
  const rowsOf = (id: string) => rows.filter((x) => x.run.id === id).map((x) => x.label);
  const toTrain = runs.filter((r) => plans.get(r.id)!.kind !== "reuse");
  const jobs: TrainJob[] = toTrain.map((r) => {
    const plan = plans.get(r.id)!;
    const t = targets.get(r.id)!;
    return {
      name: r.id,
      logFile: `${plan.dir}.log`,
      args: [
        "pretrain", "--data", opts.dataDir, "--preset", opts.preset, "--steps", String(t.steps), "--seed", String(t.seed), ...r.flags,
        "--run-dir", plan.dir, "--quiet", ...(plan.kind === "resume" ? ["--resume"] : []), ...(opts.backend ? ["--backend", opts.backend] : []),
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
      failures.push({ run: o.job.name, rows: rowsOf(o.job.name), message: `training ${o.job.name} failed (${why}); log ${o.job.logFile}${o.tail ? `:\n${o.tail}` : ""}` });
    } else plans.set(o.job.name, { kind: "reuse", dir: status.dir, step: status.step });
  }

  // Evaluate every finished run once (rows that share a config share its scores).
  await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log: () => undefined });
  const baseline: VariantResult = scoreVectors(ctx, "hash baseline (lexical, untrained)", hashBaselineVectors(ctx)).variant;
  const scored = new Map<string, { metrics: VariantResult["metrics"]; rows: Int32Array[] }>();
  const notes: string[] = [];
  for (const r of runs) {
    if (failed.has(r.id)) continue;
    const plan = plans.get(r.id)!;
    try {
      const v = await encodeRun(ctx, plan.dir);
      if (!v) throw new Error(`no checkpoint in ${plan.dir}`);
      const s = scoreVectors(ctx, r.id, v);
      scored.set(r.id, { metrics: s.variant.metrics, rows: s.rows });
      const extra = await opts.onVectors?.(r.id, v, s.rows);
      if (extra) notes.push(extra);
    } catch (e) {
      failed.add(r.id);
      failures.push({ run: r.id, rows: rowsOf(r.id), message: `evaluating ${r.id} (${plan.dir}) failed: ${(e as Error).message}` });
    }
  }

  const groups: ReportGroup[] = [];
  for (const table of ["seed003", "seed001"] as const) {
    const inTable = rows.filter((x) => x.table === table);
    if (inTable.length === 0) continue;
    const variants = inTable.filter((x) => scored.has(x.run.id)).map((x): VariantResult => ({ name: x.label, metrics: scored.get(x.run.id)!.metrics }));
    groups.push({ title: ABLATION_TABLES[table], variants: [baseline, ...variants] });
  }

  for (const g of groups) console.log(`${g.title}\n\n${formatTable(g.variants)}\n`);
  const sources = runs.map((r) => `${r.id} ← ${failed.has(r.id) ? "FAILED" : relative(opts.dataDir, plans.get(r.id)!.dir)}`);
  const trained = outcomes.filter((o) => !failed.has(o.job.name)).map((o) => `${o.job.name} (${(o.seconds / 60).toFixed(1)} min)`);
  for (const f of failures) console.error(`vitrine eval: ${f.message}\n`);
  const last = [...rows].reverse().find((x) => scored.has(x.run.id));
  const examples: ExampleQuery[] = last ? exampleQueries(ctx, last.label, scored.get(last.run.id)!.rows) : [];
  const written = await writeReport(opts.outDir, {
    title: `Vitrine ablations — ${ctx.sourceDir}, ${opts.preset} preset`,
    meta: {
      "held-out queries": String(ctx.queries.length),
      judgments: String(ctx.judgments.length),
      runs: sources.join("; "),
      ...(trained.length ? { "trained now": trained.join(", ") } : {}),
      command: opts.command,
    },
    variants: [baseline],
    groups,
    notes: [...notes, ...failures.map((f) => `Failed (${f.rows.join(", ")}): ${f.message.split("\n")[0]}`)],
    examples,
  });
  console.log(`runs: ${sources.join("; ")}`);
  console.log(`report: ${written.markdown}  ${written.html}`);
  return { groups, failures, plans };
}

