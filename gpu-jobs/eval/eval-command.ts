// `vitrine eval`: the test half of the held-out clicks (or a click file), ranked as the API serves —
// the lexical baseline, the hash baseline, the active release, pre-training runs (vectors alone and
// with the fitted BM25 blend), or a running API over REST — with every metric overall and per slice;
// a terminal table, report.md and report.html. `--ablations` trains and compares the seed 003 /
// seed 001 variants over several seeds instead (ablations-command.ts).
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { runVerb, UsageError, type ArgsOf } from "../../core/cli/index.ts";
import { EVAL } from "../../core/cli/verbs/index.ts";
import { BLEND_SPEC_HELP, blendLabel, parseBlendSpec, type Blend } from "../../core/index.ts";
import { localDir, StoreError } from "../../lancedb/index.ts";
import { selectBackend } from "../tf/backend.ts";
import { runAblations } from "./ablations-command.ts";
import { selectAblationRows } from "./ablation-variants.ts";
import { formatEvalFileSummary } from "./eval-file.ts";
import { candidateIndex, exampleQueries, hashBaselineVectors, loadEvalContext, rankQueries, scoreIndex, scoreRankings, type EvalContext } from "./eval-context.ts";
import { formatTable, writeReport, type ExampleQuery, type VariantResult } from "./report.ts";
import { encodeRun } from "./run-vectors.ts";
import { probeRun } from "./model-probe.ts";
import { parseAblationSeeds, type AblationSeeds } from "./seed-summary.ts";
import { oracleVariants } from "./oracle.ts";

/** `vitrine eval --data DIR [...]`; resolves to the exit code. Flags and help: core/cli/verbs/eval.ts. */
export function evalCommand(argv: string[]): Promise<number> {
  return runVerb(EVAL, argv, (args) => runEval(args, argv), { env: process.env });
}

/** `--baseline`: an earlier ablation report folder (or its seeds.json), read before any training. */
async function readBaseline(path: string): Promise<{ file: string; seeds: AblationSeeds }> {
  const hint = "pass an earlier `vitrine eval --ablations` report folder (it holds seeds.json)";
  if (!existsSync(path)) throw new UsageError("BAD_FLAG", `--baseline ${path} does not exist; ${hint}`);
  const isDir = (await stat(path)).isDirectory();
  const file = isDir ? join(path, "seeds.json") : path;
  // Reports written before seeds.json existed have only report.md and report.html.
  if (isDir && !existsSync(file))
    throw new UsageError("BAD_FLAG", `--baseline ${path} has no seeds.json (ablation reports made before it lack one); rerun that ablation with --out ${path}, then compare`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError("BAD_FLAG", `--baseline ${file}: ${(e as Error).message}; ${hint}`);
  }
  try {
    return { file, seeds: parseAblationSeeds(text, file) };
  } catch (e) {
    throw new UsageError("BAD_FLAG", `--baseline ${(e as Error).message}; ${hint}`);
  }
}

/** One `--fixed-blend` value (the table's pattern has checked its shape; the weight's range is checked here). */
function fixedBlendFlag(v: string): Blend {
  const blend = parseBlendSpec(v);
  if (!blend) throw new UsageError("BAD_FLAG", `--fixed-blend must be ${BLEND_SPEC_HELP}, got "${v}"`);
  return blend;
}

/** The combinations the table cannot express (flags that exclude each other). */
function checkCombinations(v: ArgsOf<typeof EVAL>["values"]): void {
  if (v.ablations) {
    if (v["run-dir"]) throw new UsageError("BAD_FLAG", "--run-dir cannot be combined with --ablations (ablation runs live in DIR/runs/ablation-<variant>-s<seed>)");
    if (v.api || v.clicks || v.release) throw new UsageError("BAD_FLAG", "--api, --clicks and --release do not apply with --ablations (they score the held-out test half)");
    selectAblationRows(v.only?.join(",")); // names are checked before anything trains
  }
  if (v.api) {
    if (v["run-dir"]) throw new UsageError("BAD_FLAG", "--run-dir does not apply with --api (the API serves its own release)");
    if (!v.key) throw new UsageError("MISSING_FLAG", "--api needs an API key with read access: --key KEY or VITRINE_API_KEY");
  }
}

async function runEval({ values: v }: ArgsOf<typeof EVAL>, argv: readonly string[]): Promise<number> {
  checkCombinations(v);
  const backend = v.backend;
  const dataDir = v.data;
  // Ablation reports get their own folder so a plain eval's report is not overwritten.
  const outDir = v.out ?? (v.ablations ? join(localDir(dataDir), "eval", "ablations") : join(localDir(dataDir), "eval"));

  if (v.ablations) {
    const r = await runAblations({
      dataDir,
      outDir,
      concurrency: v.concurrency,
      ...(v.workers !== undefined ? { workers: v.workers } : {}),
      preset: v.preset,
      ...(v.steps !== undefined ? { steps: v.steps } : {}),
      ...(v.seeds ? { seeds: [...new Set(v.seeds)] } : {}),
      ...(v["finetune-steps"] !== undefined ? { finetuneSteps: v["finetune-steps"] } : {}),
      ...(v.only !== undefined ? { only: v.only.join(",") } : {}),
      ...(backend ? { backend } : {}),
      ...(v.ann ? { ann: true } : {}),
      ...(v["fixed-blend"]?.length ? { fixedBlends: v["fixed-blend"].map(fixedBlendFlag) } : {}),
      ...(v["no-prior"] ? { prior: false } : {}),
      ...(v.baseline ? { baseline: await readBaseline(v.baseline) } : {}),
      command: `vitrine eval ${argv.join(" ")}`,
      log: (m) => console.error(m),
    });
    // The tables and report hold every run that finished; a failed one still fails the command.
    return r.failures.length ? 1 : 0;
  }

  const ctx = await loadEvalContext(dataDir, { ...(v.clicks ? { clicks: v.clicks } : {}), ...(v.judgments ? { judgments: v.judgments } : {}), ...(v["no-prior"] ? { prior: false } : {}) });
  if (ctx.file) console.error(formatEvalFileSummary(ctx.file));
  const variants: VariantResult[] = [];
  const notes: string[] = [`Queries: ${ctx.source}. Unseen (query, item) pairs among them: ${ctx.unseenPairs}.`];
  let examples: ExampleQuery[] = [];

  if (v.api) {
    const { rankThroughApi } = await import("./api-ranker.ts");
    const r = await rankThroughApi({ url: v.api, key: v.key!, queries: ctx.queries, itemIds: ctx.data.items.ids });
    const name = `API ${v.api}${r.release ? ` (${r.release})` : ""}`;
    variants.push(scoreRankings(ctx, name, r.rows));
    examples = await exampleQueries(ctx, name, r.rows);
    notes.push(
      `${name}: paths ${Object.entries(r.paths)
        .map(([p, n]) => `${p} ×${n}`)
        .join(", ")}; ${r.msPerQuery.p50.toFixed(1)} ms p50 per query.`,
      ...r.warnings,
    );
  } else {
    const hash = hashBaselineVectors(ctx);
    const lexical = await candidateIndex(ctx, hash, { blend: { method: "convex", weight: 0 } });
    variants.push((await scoreIndex(ctx, "lexical (BM25)", lexical.index, hash.encode)).variant);
    const hybrid = await candidateIndex(ctx, hash);
    variants.push((await scoreIndex(ctx, `hash vectors + BM25 (${blendLabel(hybrid.fit.blend)})`, hybrid.index, hash.encode)).variant);
    // Ceilings from the judgments: how far relevance alone reaches, and what popularity adds.
    variants.push(...oracleVariants(ctx));

    const release = v.release ?? "active";
    if (release !== "none") {
      const served = await scoreRelease(ctx, release === "active" ? undefined : release);
      if (served) {
        variants.push(served.variant);
        examples = await exampleQueries(ctx, served.variant.name, served.rows);
      } else if (v.release) {
        throw release === "active"
          ? new StoreError("NO_ACTIVE_RELEASE", `no active release in ${dataDir}; publish one (vitrine publish) or pass --release none`)
          : new StoreError("RELEASE_MISSING", `no release ${release} in ${dataDir}; see vitrine releases list --data ${dataDir}`);
      }
    }

    const runDirs = v["run-dir"]?.length ? v["run-dir"] : existsSync(join(localDir(dataDir), "runs", "pretrain")) ? [join(localDir(dataDir), "runs", "pretrain")] : [];
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
      // The linear probe (issue #17): how well the vectors alone tell an item's category.
      vec.variant.probe = probeRun(ctx, run);
      variants.push(vec.variant);
      const fitted = await candidateIndex(ctx, run);
      const hyb = await scoreIndex(ctx, `${name} + BM25 (${blendLabel(fitted.fit.blend)})`, fitted.index, run.encode);
      variants.push(hyb.variant);
      if (v.ann) notes.push(await annNote(name, run.items, run.dim, await run.encode(ctx.queries)));
      if (runDir === runDirs.at(-1)) examples = await exampleQueries(ctx, hyb.variant.name, hyb.rows);
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
  const { queryEncoderFor } = await import("../../encoders/index.ts");
  const handles = await openRelease(ctx.dataDir, release);
  const index = await loadReleaseIndex(handles);
  const encoder = await queryEncoderFor(handles.encoder, handles.info.id);
  // The release's rows are its own order: map them to the eval's catalog rows by id.
  const rowOf = new Map(ctx.data.items.ids.map((id, i) => [id, i]));
  const rows = (await rankQueries(ctx, index, async (ts) => encoder.encode([...ts]))).map((r) => Int32Array.from([...r].map((x) => rowOf.get(index.ids[x]!) ?? -1).filter((x) => x >= 0)));
  const name = `release ${handles.info.id} as served (${handles.encoder.name}, ${blendLabel(handles.retrieval.blend)}${handles.retrieval.lexical ? "" : ", no BM25"})`;
  return { variant: scoreRankings(ctx, name, rows), rows };
}

async function annNote(name: string, items: Float32Array, dim: number, queries: Float32Array[]): Promise<string> {
  const { annRecallLine } = await import("./ann-recall.ts");
  const line = await annRecallLine(name, items, dim, queries);
  console.error(line);
  return line;
}
