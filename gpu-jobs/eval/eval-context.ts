// What every `vitrine eval` mode shares: the held-out queries of a data directory, judgments,
// the title-omits slice, and scoring of vectors (hash baseline or a pre-training run's towers)
// by exact top-200.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createHashEncoder } from "../../core/index.ts";
import { readImportManifest } from "../../ingest/manifest.ts";
import { allTableNames, openStore } from "../../lancedb/connect.ts";
import { loadTrainingData, type TrainingData } from "../data/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { loadLatestCheckpoint, restoreInto } from "../train/checkpoint.ts";
import { encodeItemVectors, encodeQueryVectors, queryTargets } from "../train/encode-all.ts";
import type { PretrainConfig } from "../train/pretrain-config.ts";
import { buildEvalQueries, type JudgmentInput } from "./eval-queries.ts";
import { evaluateRankings, type Slice } from "../../core/metrics.ts";
import { exactTopK } from "./rank.ts";
import type { ExampleQuery, VariantResult } from "./report.ts";
import { loadTitleOmitsSlice } from "./slices.ts";

/** Cut-off of the exact ranking (the largest K of the metrics). */
export const EVAL_TOP_K = 200;

/** The held-out side of a data directory, loaded once per eval. */
export interface EvalContext {
  /** Data directory. */
  dataDir: string;
  /** Folder of the imported catalog file (generated datasets keep images/ and truth.jsonl there). */
  sourceDir: string;
  /** Catalog and pairs as training sees them. */
  data: TrainingData;
  /** Distinct held-out queries (canonical terms). */
  queries: string[];
  /** Clicked item rows per query. */
  targets: Set<number>[];
  /** Graded judgments (empty when none were imported). */
  judgments: JudgmentInput[];
  /** The title-omits-queried-attribute slice, when the dataset has truth.jsonl. */
  slice: Slice | null;
}

/** Vectors of one model: items and eval queries, row-major. */
export interface EncodedVectors {
  /** n × dim item vectors. */
  items: Float32Array;
  /** queries × dim query vectors. */
  queries: Float32Array;
  /** Vector dimension. */
  dim: number;
}

/** A pre-training run's vectors plus what its checkpoint says. */
export interface EncodedRun extends EncodedVectors {
  /** Steps of the checkpoint used. */
  step: number;
  /** Model config saved with it. */
  modelConfig: ModelConfig;
  /** Job config saved with it (absent in very old runs). */
  config?: Partial<PretrainConfig>;
}

/** Load the held-out queries, judgments and slice; throws when the import holds no held-out clicks. */
export async function loadEvalContext(dataDir: string): Promise<EvalContext> {
  const data = await loadTrainingData(dataDir);
  const { queries, targets } = queryTargets(data.evalPairs);
  if (queries.length === 0) throw new Error("this import holds no held-out clicks; re-import with --eval-clicks FILE or --eval-fraction > 0");
  const manifest = await readImportManifest(dataDir);
  const sourceDir = dirname(manifest.sources.catalog ?? dataDir);
  const db = await openStore(dataDir);
  const judgments: JudgmentInput[] = (await allTableNames(db)).includes("judgments")
    ? ((await (await db.openTable("judgments")).query().select(["terms", "item_id", "grade"]).toArray()) as JudgmentInput[])
    : [];
  const slice = await loadTitleOmitsSlice(sourceDir, { queries, itemIds: data.items.ids });
  return { dataDir, sourceDir, data, queries, targets, judgments, slice };
}

/** Exact top-200 of the vectors and every metric (overall and slice); also returns the rankings. */
export function scoreVectors(ctx: EvalContext, name: string, v: EncodedVectors): { variant: VariantResult; rows: Int32Array[] } {
  const top = exactTopK({ items: v.items, queries: v.queries, dim: v.dim, k: EVAL_TOP_K });
  const evalQueries = buildEvalQueries({ queries: ctx.queries, targets: ctx.targets, rankings: top.rows, itemIds: ctx.data.items.ids, judgments: ctx.judgments });
  const metrics = evaluateRankings({ queries: evalQueries, itemCategories: ctx.data.items.categories, ...(ctx.slice ? { slices: [ctx.slice] } : {}) });
  return { variant: { name, metrics }, rows: top.rows };
}

const flat = (vs: Float32Array[], dim: number) => {
  const out = new Float32Array(vs.length * dim);
  vs.forEach((v, i) => out.set(v, i * dim));
  return out;
};

/** The untrained lexical hash baseline's vectors (title + brand + category vs the query). */
export function hashBaselineVectors(ctx: EvalContext): EncodedVectors {
  const hash = createHashEncoder();
  const items = ctx.data.items;
  const itemTexts = items.titles.map((t, i) => [t, items.brands[i], items.categories[i]].filter(Boolean).join(" "));
  return { items: flat(hash.encode(itemTexts), hash.dim), queries: flat(hash.encode(ctx.queries), hash.dim), dim: hash.dim };
}

/** Encode the catalog and the eval queries with a run's newest checkpoint (TF.js); null when it has none. */
export async function encodeRun(ctx: EvalContext, runDir: string): Promise<EncodedRun | null> {
  const ckpt = await loadLatestCheckpoint<{ modelConfig: ModelConfig; config?: Partial<PretrainConfig> }>(runDir);
  if (!ckpt) return null;
  const tokenizer = Tokenizer.fromJSON(await readFile(join(runDir, "tokenizer.json"), "utf8"));
  const model = createModel(ckpt.state.modelConfig);
  try {
    await restoreInto(tf, ckpt, model.variables, null);
    return {
      items: encodeItemVectors(model, tokenizer, ctx.data.items),
      queries: encodeQueryVectors(model, tokenizer, ctx.queries),
      dim: ckpt.state.modelConfig.dim,
      step: ckpt.step,
      modelConfig: ckpt.state.modelConfig,
      ...(ckpt.state.config ? { config: ckpt.state.config } : {}),
    };
  } finally {
    model.dispose();
  }
}

/** The first `n` queries' top 5 as report examples (images where the generated dataset has them). */
export function exampleQueries(ctx: EvalContext, variant: string, rows: readonly Int32Array[], n = 4): ExampleQuery[] {
  const catalogDir = resolve(ctx.sourceDir);
  // Generated datasets keep images at <catalog dir>/images/<id>.png; other catalogs show titles only.
  const imageOf = (id: string) => {
    const p = join(catalogDir, "images", `${id}.png`);
    return existsSync(p) ? p : null;
  };
  const items = ctx.data.items;
  return ctx.queries.slice(0, n).map((query, q) => ({
    query,
    variant,
    results: Array.from(rows[q]!.slice(0, 5), (row) => {
      const image = imageOf(items.ids[row]!);
      return { id: items.ids[row]!, title: items.titles[row]!, ...(image ? { image } : {}), clicked: ctx.targets[q]!.has(row) };
    }),
  }));
}
