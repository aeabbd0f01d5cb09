// `vitrine eval`: the test half of the held-out clicks (or a click file), ranked as the API serves —
// the lexical baseline, the hash baseline, the active release, pre-training runs (vectors alone and
// with the fitted BM25 blend), or a running API over REST — with every metric overall and per slice;
// a terminal table, report.md and report.html. `--ablations` trains and compares the seed 003 /
// seed 001 variants over several seeds instead (ablations-command.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PRESETS, type PresetName } from "../model/config.ts";
import { parseBackendName, selectBackend, type BackendName } from "../tf/backend.ts";
import { runAblations } from "./ablations-command.ts";
import { selectAblationRows } from "./ablation-variants.ts";
import { formatEvalFileSummary } from "./eval-file.ts";
import { candidateIndex, exampleQueries, hashBaselineVectors, loadEvalContext, rankQueries, scoreIndex, scoreRankings, type EvalContext } from "./eval-context.ts";
import { formatTable, writeReport, type ExampleQuery, type VariantResult } from "./report.ts";
import { encodeRun } from "./run-vectors.ts";

class UsageError extends Error {}

const ABLATION_ONLY_FLAGS = ["preset", "steps", "seeds", "concurrency", "only", "finetune-steps"] as const;

function wholeNumber(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
}

function seedList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const seeds = v.split(",").map((s) => s.trim()).filter(Boolean).map((s) => wholeNumber(s, "seeds", 0)!);
  if (seeds.length === 0) throw new UsageError(`--seeds needs at least one whole number, e.g. --seeds 1,2,3`);
  return [...new Set(seeds)];
}

/** `vitrine eval --data DIR [...]`; resolves to the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  let v;
  let backend: BackendName | undefined;
  let steps: number | undefined;
  let seeds: number[] | undefined;
  let concurrency = 1;
  let finetuneSteps: number | undefined;
  try {
    v = parseArgs({
      args: argv,
      options: {
        data: { type: "string" }, "run-dir": { type: "string", multiple: true }, out: { type: "string" }, backend: { type: "string" },
        release: { type: "string" }, clicks: { type: "string" }, judgments: { type: "string" }, api: { type: "string" }, key: { type: "string" },
        ablations: { type: "boolean" }, preset: { type: "string" }, steps: { type: "string" }, seeds: { type: "string" },
        concurrency: { type: "string" }, only: { type: "string" }, ann: { type: "boolean" }, "finetune-steps": { type: "string" },
      },
    }).values;
    if (!v.data) throw new UsageError("--data DIR is required (a data directory with held-out clicks)");
    if (v.backend) backend = parseBackendName(v.backend);
    if (v.release !== undefined && !/^(r\d{3,}|active|none)$/.test(v.release)) throw new UsageError(`--release must be a release id like r002, "active" or "none", got "${v.release}"`);
    if (v.key !== undefined && v.api === undefined) throw new UsageError("--key goes with --api URL");
    if (v.ablations) {
      if (v["run-dir"]) throw new UsageError("--run-dir cannot be combined with --ablations (ablation runs live in DIR/runs/ablation-<variant>-s<seed>)");
      if (v.api || v.clicks || v.release) throw new UsageError("--api, --clicks and --release do not apply with --ablations (they score the held-out test half)");
      if (v.preset !== undefined && !(v.preset in PRESETS)) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(", ")}, got "${v.preset}"`);
      steps = wholeNumber(v.steps, "steps", 1);
      seeds = seedList(v.seeds);
      concurrency = wholeNumber(v.concurrency, "concurrency", 1) ?? 1;
      finetuneSteps = wholeNumber(v["finetune-steps"], "finetune-steps", 0);
      selectAblationRows(v.only); // names are checked before anything trains
    } else {
      const stray = ABLATION_ONLY_FLAGS.find((f) => v![f] !== undefined);
      if (stray) throw new UsageError(`--${stray} only applies with --ablations`);
    }
    if (v.api) {
      if (v["run-dir"]) throw new UsageError("--run-dir does not apply with --api (the API serves its own release)");
      if (!(v.key ?? process.env.VITRINE_API_KEY)) throw new UsageError("--api needs an API key with read access: --key KEY or VITRINE_API_KEY");
    }
  } catch (e) {
    console.error(`vitrine eval: ${(e as Error).message}\n(see vitrine eval --help)`);
    return 2;
  }
  const dataDir = v.data!;
  // Ablation reports get their own folder so a plain eval's report is not overwritten.
  const outDir = v.out ?? (v.ablations ? join(dataDir, "eval", "ablations") : join(dataDir, "eval"));

  if (v.ablations) {
    const r = await runAblations({
      dataDir, outDir, concurrency,
      preset: (v.preset ?? "cpu") as PresetName,
      ...(steps !== undefined ? { steps } : {}),
      ...(seeds ? { seeds } : {}),
      ...(finetuneSteps !== undefined ? { finetuneSteps } : {}),
      ...(v.only !== undefined ? { only: v.only } : {}),
      ...(backend ? { backend } : {}),
      ...(v.ann ? { ann: true } : {}),
      command: `vitrine eval ${argv.join(" ")}`,
      log: (m) => console.error(m),
    });
    // The tables and report hold every run that finished; a failed one still fails the command.
    return r.failures.length ? 1 : 0;
  }

  let ctx: EvalContext;
  try {
    ctx = await loadEvalContext(dataDir, { ...(v.clicks ? { clicks: v.clicks } : {}), ...(v.judgments ? { judgments: v.judgments } : {}) });
  } catch (e) {
    console.error(`vitrine eval: ${(e as Error).message}`);
    return 2;
  }
  if (ctx.file) console.error(formatEvalFileSummary(ctx.file));
  const variants: VariantResult[] = [];
  const notes: string[] = [`Queries: ${ctx.source}. Unseen (query, item) pairs among them: ${ctx.unseenPairs}.`];
  let examples: ExampleQuery[] = [];

  if (v.api) {
    const { rankThroughApi } = await import("./api-ranker.ts");
    let r;
    try {
      r = await rankThroughApi({ url: v.api, key: v.key ?? process.env.VITRINE_API_KEY!, queries: ctx.queries, itemIds: ctx.data.items.ids });
    } catch (e) {
      console.error(`vitrine eval: ${(e as Error).message}`);
      return 1;
    }
    const name = `API ${v.api}${r.release ? ` (${r.release})` : ""}`;
    variants.push(scoreRankings(ctx, name, r.rows));
    examples = exampleQueries(ctx, name, r.rows);
    notes.push(`${name}: paths ${Object.entries(r.paths).map(([p, n]) => `${p} ×${n}`).join(", ")}; ${r.msPerQuery.p50.toFixed(1)} ms p50 per query.`, ...r.warnings);
  } else {
    const hash = hashBaselineVectors(ctx);
    const lexical = await candidateIndex(ctx, hash, { blend: { method: "convex", weight: 0 } });
    variants.push((await scoreIndex(ctx, "lexical (BM25)", lexical.index, hash.encode)).variant);
    const hybrid = await candidateIndex(ctx, hash);
    variants.push((await scoreIndex(ctx, `hash vectors + BM25 (w ${hybrid.fit.blend.weight})`, hybrid.index, hash.encode)).variant);

    const release = v.release ?? "active";
    if (release !== "none") {
      const served = await scoreRelease(ctx, release === "active" ? undefined : release);
      if (served) {
        variants.push(served.variant);
        examples = exampleQueries(ctx, served.variant.name, served.rows);
      } else if (v.release) {
        console.error(`vitrine eval: no ${release === "active" ? "active release" : `release ${release}`} in ${dataDir}`);
        return 2;
      }
    }

    const runDirs = v["run-dir"]?.length ? v["run-dir"] : existsSync(join(dataDir, "runs", "pretrain")) ? [join(dataDir, "runs", "pretrain")] : [];
    if (runDirs.length) await selectBackend({ ...(backend ? { prefer: backend } : {}), log: () => undefined });
    for (const runDir of runDirs) {
      const run = await encodeRun(ctx, runDir);
      if (!run) {
        console.error(`vitrine eval: no pre-training checkpoint in ${runDir}; skipped`);
        continue;
      }
      const stages = run.modelConfig.fusion !== "text" && (run.config?.stage1Fraction ?? 0) > 0 ? ", two stages" : "";
      const name = `trained ${run.modelConfig.fusion} (${run.config?.preset ?? "?"}, step ${run.step}${stages})`;
      const alone = await candidateIndex(ctx, run, { blend: { method: "convex", weight: 1 } });
      const vec = await scoreIndex(ctx, `${name}, vectors`, alone.index, run.encode);
      variants.push(vec.variant);
      const fitted = await candidateIndex(ctx, run);
      const hyb = await scoreIndex(ctx, `${name} + BM25 (w ${fitted.fit.blend.weight})`, fitted.index, run.encode);
      variants.push(hyb.variant);
      if (v.ann) notes.push(await annNote(name, run.items, run.dim, await run.encode(ctx.queries)));
      if (runDir === runDirs.at(-1)) examples = exampleQueries(ctx, hyb.variant.name, hyb.rows);
    }
  }

  console.log(formatTable(variants));
  const written = await writeReport(outDir, {
    title: "Vitrine eval",
    meta: { "test queries": String(ctx.queries.length), "unseen pairs": String(ctx.unseenPairs), judgments: String(ctx.judgments.length), command: `vitrine eval ${argv.join(" ")}` },
    variants,
    notes,
    examples,
  });
  console.log(`\n${notes.join("\n")}\nreport: ${written.markdown}  ${written.html}`);
  return 0;
}

/** A published release scored exactly as it serves (its qid lists, blend and query encoder); null when absent. */
export async function scoreRelease(ctx: EvalContext, release?: string): Promise<{ variant: VariantResult; rows: Int32Array[] } | null> {
  const { getActiveRelease, listReleases, loadReleaseIndex, openRelease } = await import("../../lancedb/index.ts");
  if (release === undefined ? !(await getActiveRelease(ctx.dataDir)) : !(await listReleases(ctx.dataDir)).some((r) => r.id === release)) return null;
  const { queryEncoderFor } = await import("../../encoders/release-encoder.ts");
  const handles = await openRelease(ctx.dataDir, release);
  const index = await loadReleaseIndex(handles);
  const encoder = await queryEncoderFor(handles.encoder, handles.info.id);
  // The release's rows are its own order: map them to the eval's catalog rows by id.
  const rowOf = new Map(ctx.data.items.ids.map((id, i) => [id, i]));
  const rows = (await rankQueries(ctx, index, async (ts) => encoder.encode([...ts]))).map((r) => Int32Array.from([...r].map((x) => rowOf.get(index.ids[x]!) ?? -1).filter((x) => x >= 0)));
  const name = `release ${handles.info.id} as served (${handles.encoder.name}, w ${handles.retrieval.blend.weight}${handles.retrieval.lexical ? "" : ", no BM25"})`;
  return { variant: scoreRankings(ctx, name, rows), rows };
}

async function annNote(name: string, items: Float32Array, dim: number, queries: Float32Array[]): Promise<string> {
  const { annRecallLine } = await import("./ann-recall.ts");
  const line = await annRecallLine(name, items, dim, queries);
  console.error(line);
  return line;
}
