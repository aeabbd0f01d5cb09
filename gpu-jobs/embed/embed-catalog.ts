// `vitrine embed`: every catalog item through item.onnx (ONNX Runtime: CUDA when present, else
// CPU), batched, the next batch's patches prepared while the current one runs; vectors appended
// to the `embeddings` table (lancedb/embeddings.ts) batch by batch, so an interrupted run resumes at
// the last batch.
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { makeArrowTable } from "@lancedb/lancedb";
import { openSession, readModelDir } from "../../encoders/index.ts";
import { applyItemHead, readItemHead } from "../onnx/finetune-head.ts";
import {
  allTableNames,
  EMBEDDINGS_TABLE,
  embeddingsSchema,
  embedShardTable,
  openStore,
  readEmbedState,
  readShardState,
  shardRange,
  writeEmbedState,
  writeShardState,
  type ShardSpec,
  localDir,
} from "../../lancedb/index.ts";
import { prepareBackbone } from "../backbone/index.ts";
import { imageMaskOf, loadTrainingData } from "../data/index.ts";
import { itemFeeds } from "./item-feeds.ts";
import { TrainError } from "../errors.ts";

/** Options of an embed run. */
export interface EmbedOptions {
  /** Data directory a `vitrine import` completed in. */
  dataDir: string;
  /** Exported model folder (default `<dataDir>/model`). */
  modelDir?: string;
  /** Items per inference call (default 256). */
  batchSize?: number;
  /** Continue an interrupted run of the same model (default true). */
  resume?: boolean;
  /** The model's image encoder at another path than its card records (must be the same model and JSON; refused for a model without one). */
  imageEncoder?: string;
  /** Embed only this shard's rows, into its own table (lancedb/embed-shards.ts); merge them with mergeEmbedShards. */
  shard?: ShardSpec;
  /** Log lines (image encoder features). */
  log?: (msg: string) => void;
  /** Called after every batch. */
  onProgress?: (done: number, total: number) => void;
  /** Test hook: called after each batch is written (throw to simulate a crash). */
  afterBatch?: (done: number) => void;
}

/** What an embed run did. */
export interface EmbedResult {
  /** Items in the catalog. */
  items: number;
  /** Catalog rows [from, to) this run covered (the whole catalog without a shard). */
  range: { from: number; to: number };
  textOnly: number;
  resumedFrom: number;
  provider: string;
  itemsPerSec: number;
  modelDir: string;
  /** Image encoder features: distinct images read from the cache, computed now, and unreadable (null without an encoder). */
  imageFeatures: { cached: number; computed: number; failed: number } | null;
}

/** Embed the whole catalog into the `embeddings` table. */
export async function embedCatalog(opts: EmbedOptions): Promise<EmbedResult> {
  const modelDir = resolve(opts.modelDir ?? join(localDir(opts.dataDir), "model"));
  const { card, tokenizer } = await readModelDir(modelDir).catch((e: unknown) => {
    throw new TrainError("BAD_CHECKPOINT", `no exported model in ${modelDir} (${(e as Error).message}); run \`vitrine export\` first`);
  });
  const { session, provider } = await openSession(join(modelDir, "item.onnx"));
  const head = await readItemHead(modelDir);
  const data = await loadTrainingData(opts.dataDir, { allowNoPairs: true });
  const items = data.items;
  const n = items.ids.length;
  // A model trained on a backbone's features embeds with the same backbone's (cached) features.
  const bb = await prepareBackbone(opts.dataDir, items, {
    recorded: card.backbone ?? null,
    given: opts.imageEncoder,
    grid: items.grid,
    what: `the model in ${modelDir}`,
    ...(opts.log ? { log: opts.log } : {}),
  });
  const imageFeatures = bb ? { cached: bb.cached, computed: bb.computed, failed: bb.failed } : null;
  const backbone = card.backbone?.id ?? null;
  const imageMask = imageMaskOf(
    items,
    Int32Array.from(items.ids, (_, i) => i),
    { tokens: card.dims.patches, dim: card.dims.patchDim, backbone, grid: items.grid },
  );
  const textOnly = imageMask.reduce((a, m) => a + (m === 0 ? 1 : 0), 0);
  const { dim } = card.dims;
  const batch = opts.batchSize ?? 256;
  const db = await openStore(opts.dataDir);
  // The whole catalog into `embeddings` (DIR/embed.json), or a shard's whole batches into its own table.
  const shard = opts.shard;
  const { from: lo, to: hi } = shard ? shardRange(n, batch, shard) : { from: 0, to: n };
  const target = shard ? embedShardTable(shard) : EMBEDDINGS_TABLE;
  const record = (state: "running" | "complete") => {
    const st = { modelDir, createdAt: card.createdAt, state, items: n };
    return shard ? writeShardState(opts.dataDir, { ...st, shard, batchSize: batch, from: lo, to: hi }) : writeEmbedState(opts.dataDir, st);
  };
  const prev = shard ? await readShardState(opts.dataDir, shard) : await readEmbedState(opts.dataDir);
  const same = prev !== null && prev.modelDir === modelDir && prev.createdAt === card.createdAt && prev.items === n && (!shard || ("batchSize" in prev && prev.batchSize === batch));
  let start = lo;
  if (same && (opts.resume ?? true) && (await allTableNames(db)).includes(target)) {
    start = lo + (await (await db.openTable(target)).countRows());
  }
  const range = { from: lo, to: hi };
  if (same && prev.state === "complete" && start === hi) return { items: n, range, textOnly, resumedFrom: hi - lo, provider, itemsPerSec: 0, modelDir, imageFeatures };
  await record("running");
  const schema = embeddingsSchema(dim);
  let table = start > lo ? await db.openTable(target) : null;
  const prepare = (from: number) => {
    const rows = Int32Array.from({ length: Math.min(batch, hi - from) }, (_, i) => from + i);
    return { rows, feeds: itemFeeds(ort, items, rows, tokenizer, card.dims, { backbone }) };
  };
  const t0 = performance.now();
  let next = start < hi ? prepare(start) : null;
  for (let from = start; from < hi; from += batch) {
    const cur = next!;
    const running = session.run(cur.feeds);
    // Prepare the next batch (tokenise + cut patches) while ONNX Runtime works on this one.
    next = from + batch < hi ? prepare(from + batch) : null;
    const out = (await running).vector!.data as Float32Array;
    // A fine-tuned model's item half: l2(v·Wi + e[id]) (gpu-jobs/onnx/finetune-head.ts).
    if (head)
      applyItemHead(
        head,
        Array.from(cur.rows, (r) => items.ids[r]!),
        out,
      );
    const rows = Array.from(cur.rows, (r, i) => ({ id: items.ids[r]!, vector: Array.from(out.subarray(i * dim, (i + 1) * dim)), text_only: imageMask[r] === 0 }));
    const arrowData = makeArrowTable(rows, { schema });
    if (!table) table = await db.createTable(target, arrowData, { mode: "overwrite" });
    else await table.add(arrowData);
    const done = Math.min(from + batch, hi);
    opts.onProgress?.(done - lo, hi - lo);
    opts.afterBatch?.(done);
  }
  await record("complete");
  const secs = (performance.now() - t0) / 1000;
  return { items: n, range, textOnly, resumedFrom: start - lo, provider, itemsPerSec: secs > 0 ? (hi - start) / secs : 0, modelDir, imageFeatures };
}
