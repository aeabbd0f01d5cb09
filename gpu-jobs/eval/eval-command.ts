// `vitrine eval`: the held-out clicks of a data directory, exact top-200 by brute force for the
// lexical hash baseline and for the trained towers of pre-training runs, Recall@K / HitRate@K /
// NDCG@10 / relevance / category consistency, overall and for items whose titles omit the
// queried attribute; a terminal table, report.md and report.html. `--ablations` trains and
// compares the seed 003 / seed 001 variants instead (ablations-command.ts).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PRESETS, type PresetName } from "../model/config.ts";
import { parseBackendName, selectBackend, type BackendName } from "../tf/backend.ts";
import { runAblations } from "./ablations-command.ts";
import { selectAblationRows } from "./ablation-variants.ts";
import { encodeRun, exampleQueries, hashBaselineVectors, loadEvalContext, scoreVectors, type EncodedVectors } from "./eval-context.ts";
import { formatTable, writeReport, type ExampleQuery, type VariantResult } from "./report.ts";

class UsageError extends Error {}

const ABLATION_ONLY_FLAGS = ["preset", "steps", "seed", "concurrency", "only"] as const;

function wholeNumber(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
}

/** `vitrine eval --data DIR [--run-dir DIR ...] [--out DIR]` or `--ablations [...]`; resolves to the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  let v;
  let backend: BackendName | undefined;
  let steps: number | undefined;
  let seed: number | undefined;
  let concurrency = 1;
  try {
    v = parseArgs({
      args: argv,
      options: {
        data: { type: "string" }, "run-dir": { type: "string", multiple: true }, out: { type: "string" }, backend: { type: "string" },
        ablations: { type: "boolean" }, preset: { type: "string" }, steps: { type: "string" }, seed: { type: "string" },
        concurrency: { type: "string" }, only: { type: "string" }, ann: { type: "boolean" },
      },
    }).values;
    if (!v.data) throw new UsageError("--data DIR is required (a data directory with held-out clicks)");
    if (v.backend) backend = parseBackendName(v.backend);
    if (v.ablations) {
      if (v["run-dir"]) throw new UsageError("--run-dir cannot be combined with --ablations (ablation runs live in DIR/runs/ablation-<variant>)");
      if (v.preset !== undefined && !(v.preset in PRESETS)) throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(", ")}, got "${v.preset}"`);
      steps = wholeNumber(v.steps, "steps", 1);
      seed = wholeNumber(v.seed, "seed", 0);
      concurrency = wholeNumber(v.concurrency, "concurrency", 1) ?? 1;
      selectAblationRows(v.only); // names are checked before anything trains
    } else {
      const stray = ABLATION_ONLY_FLAGS.find((f) => v![f] !== undefined);
      if (stray) throw new UsageError(`--${stray} only applies with --ablations`);
    }
  } catch (e) {
    console.error(`vitrine eval: ${(e as Error).message}\n(see vitrine eval --help)`);
    return 2;
  }
  const dataDir = v.data!;
  // Ablation reports get their own folder so a plain eval's report is not overwritten.
  const outDir = v.out ?? (v.ablations ? join(dataDir, "eval", "ablations") : join(dataDir, "eval"));
  // --ann: the same vectors through the ANN index publish would build, recall against exact.
  const annCheck = v.ann
    ? async (name: string, vectors: EncodedVectors, exact: Int32Array[]): Promise<string> => {
        const { annRecall, formatAnnRecall } = await import("./ann-recall.ts");
        const line = formatAnnRecall(name, await annRecall({ items: vectors.items, queries: vectors.queries, dim: vectors.dim, exact }));
        console.error(line);
        return line;
      }
    : undefined;

  if (v.ablations) {
    const r = await runAblations({
      dataDir, outDir, concurrency,
      preset: (v.preset ?? "cpu") as PresetName,
      ...(steps !== undefined ? { steps } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(v.only !== undefined ? { only: v.only } : {}),
      ...(backend ? { backend } : {}),
      ...(annCheck ? { onVectors: annCheck } : {}),
      command: `vitrine eval ${argv.join(" ")}`,
      log: (m) => console.error(m),
    });
    // The tables and report hold every run that finished; a failed one still fails the command.
    return r.failures.length ? 1 : 0;
  }

  const runDirs = v["run-dir"]?.length ? v["run-dir"] : [join(dataDir, "runs", "pretrain")];
  await selectBackend({ ...(backend ? { prefer: backend } : {}), log: () => undefined });
  let ctx;
  try {
    ctx = await loadEvalContext(dataDir);
  } catch (e) {
    console.error(`vitrine eval: ${(e as Error).message}`);
    return 2;
  }
  const variants: VariantResult[] = [scoreVectors(ctx, "hash baseline (lexical)", hashBaselineVectors(ctx)).variant];
  let examples: ExampleQuery[] = [];
  const notes: string[] = [];
  for (const runDir of runDirs) {
    const run = await encodeRun(ctx, runDir);
    if (!run) {
      console.error(`vitrine eval: no pre-training checkpoint in ${runDir}; skipped`);
      continue;
    }
    const stages = run.modelConfig.fusion !== "text" && run.config?.stage1Fraction === 0 ? ", no stage 1" : "";
    const name = `trained ${run.modelConfig.fusion} (${run.config?.preset ?? "?"}, step ${run.step}${stages})`;
    const r = scoreVectors(ctx, name, run);
    variants.push(r.variant);
    if (annCheck) notes.push(await annCheck(name, run, r.rows));
    if (runDir === runDirs.at(-1)) examples = exampleQueries(ctx, name, r.rows);
  }

  console.log(formatTable(variants));
  const written = await writeReport(outDir, {
    title: `Vitrine eval — ${ctx.sourceDir}`,
    meta: { "held-out queries": String(ctx.queries.length), judgments: String(ctx.judgments.length), command: `vitrine eval --data ${dataDir}${runDirs.map((r) => ` --run-dir ${r}`).join("")}` },
    variants,
    notes,
    examples,
  });
  console.log(`\nreport: ${written.markdown}  ${written.html}`);
  return 0;
}
