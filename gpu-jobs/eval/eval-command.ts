// `vitrine eval`: the held-out clicks of a data directory, exact top-200 by brute force for the
// lexical hash baseline and for the trained towers of a pre-training run, Recall@K / HitRate@K /
// NDCG@10 / relevance / category consistency, overall and for items whose titles omit the
// queried attribute; a terminal table, report.md and report.html.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { createHashEncoder } from "../../core/index.ts";
import { readImportManifest } from "../../ingest/manifest.ts";
import { allTableNames, openStore } from "../../lancedb/connect.ts";
import { loadTrainingData } from "../data/index.ts";
import { createModel } from "../model/towers.ts";
import { selectBackend } from "../tf/backend.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { loadLatestCheckpoint, restoreInto } from "../train/checkpoint.ts";
import { encodeItemVectors, encodeQueryVectors, queryTargets } from "../train/encode-all.ts";
import type { ModelConfig } from "../model/config.ts";
import { buildEvalQueries, evaluateRankings, exactTopK, formatTable, loadTitleOmitsSlice, writeReport, type ExampleQuery, type JudgmentInput, type VariantResult } from "./index.ts";

// Generated datasets keep images at <catalog dir>/images/<id>.png; other catalogs show titles only.
function imageOf(catalogDir: string, id: string): string | null {
  const p = join(catalogDir, "images", `${id}.png`);
  return existsSync(p) ? p : null;
}

const flat = (vs: Float32Array[], dim: number) => {
  const out = new Float32Array(vs.length * dim);
  vs.forEach((v, i) => out.set(v, i * dim));
  return out;
};

/** `vitrine eval --data DIR [--run-dir DIR] [--out DIR]`; resolves to the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { data: { type: "string" }, "run-dir": { type: "string", multiple: true }, out: { type: "string" } } }).values;
    if (!v.data) throw new Error("--data DIR is required (a data directory with held-out clicks)");
  } catch (e) {
    console.error(`vitrine eval: ${(e as Error).message}\n(see vitrine eval --help)`);
    return 2;
  }
  const dataDir = v.data!;
  const runDirs = v["run-dir"]?.length ? v["run-dir"] : [join(dataDir, "runs", "pretrain")];
  const outDir = v.out ?? join(dataDir, "eval");
  await selectBackend({ log: () => undefined });
  const data = await loadTrainingData(dataDir);
  const { queries, targets } = queryTargets(data.evalPairs);
  if (queries.length === 0) {
    console.error("vitrine eval: this import holds no held-out clicks; re-import with --eval-clicks FILE or --eval-fraction > 0");
    return 2;
  }
  const manifest = await readImportManifest(dataDir);
  const sourceDir = dirname(manifest.sources.catalog ?? dataDir);
  const db = await openStore(dataDir);
  const judgments: JudgmentInput[] = (await allTableNames(db)).includes("judgments")
    ? ((await (await db.openTable("judgments")).query().select(["terms", "item_id", "grade"]).toArray()) as JudgmentInput[])
    : [];
  const slice = await loadTitleOmitsSlice(sourceDir, { queries, itemIds: data.items.ids });
  const K = 200;
  const score = (name: string, items: Float32Array, qv: Float32Array, dim: number): { variant: VariantResult; rows: Int32Array[] } => {
    const top = exactTopK({ items, queries: qv, dim, k: K });
    const evalQueries = buildEvalQueries({ queries, targets, rankings: top.rows, itemIds: data.items.ids, judgments });
    return { variant: { name, metrics: evaluateRankings({ queries: evalQueries, itemCategories: data.items.categories, ...(slice ? { slices: [slice] } : {}) }) }, rows: top.rows };
  };

  const variants: VariantResult[] = [];
  const examples: ExampleQuery[] = [];
  const hash = createHashEncoder();
  const itemTexts = data.items.titles.map((t, i) => [t, data.items.brands[i], data.items.categories[i]].filter(Boolean).join(" "));
  variants.push(score("hash baseline (lexical)", flat(hash.encode(itemTexts), hash.dim), flat(hash.encode(queries), hash.dim), hash.dim).variant);

  for (const runDir of runDirs) {
    const ckpt = await loadLatestCheckpoint<{ modelConfig: ModelConfig; config?: { preset?: string; stage1Fraction?: number } }>(runDir);
    if (ckpt) {
      const tokenizer = Tokenizer.fromJSON(await readFile(join(runDir, "tokenizer.json"), "utf8"));
      const model = createModel(ckpt.state.modelConfig);
      await restoreInto(tf, ckpt, model.variables, null);
      const dim = ckpt.state.modelConfig.dim;
      const stages = ckpt.state.modelConfig.fusion !== "text" && ckpt.state.config?.stage1Fraction === 0 ? ", no stage 1" : "";
      const name = `trained ${ckpt.state.modelConfig.fusion} (${ckpt.state.config?.preset ?? "?"}, step ${ckpt.step}${stages})`;
      const r = score(name, encodeItemVectors(model, tokenizer, data.items), encodeQueryVectors(model, tokenizer, queries), dim);
      model.dispose();
      variants.push(r.variant);
      const catalogDir = resolve(sourceDir);
      for (const q of [0, 1, 2, 3].filter((i) => i < queries.length && runDir === runDirs.at(-1))) {
        examples.push({
          query: queries[q]!,
          variant: name,
          results: Array.from(r.rows[q]!.slice(0, 5), (row) => ({
            id: data.items.ids[row]!,
            title: data.items.titles[row]!,
            ...(imageOf(catalogDir, data.items.ids[row]!) ? { image: imageOf(catalogDir, data.items.ids[row]!)! } : {}),
            clicked: targets[q]!.has(row),
          })),
        });
      }
    } else console.error(`vitrine eval: no pre-training checkpoint in ${runDir}; skipped`);
  }

  console.log(formatTable(variants));
  const written = await writeReport(outDir, {
    title: `Vitrine eval — ${sourceDir}`,
    meta: { "held-out queries": String(queries.length), judgments: String(judgments.length), command: `vitrine eval --data ${dataDir}${runDirs.map((r) => ` --run-dir ${r}`).join("")}` },
    variants,
    examples,
  });
  console.log(`\nreport: ${written.markdown}  ${written.html}`);
  return 0;
}
