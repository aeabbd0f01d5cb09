// Batch encoding of a whole catalog and of query lists with a live model (TF.js), and the exact
// top-K hit rate used to check training. Export/embed use ONNX Runtime instead (issue #4).
import * as tf from "@tensorflow/tfjs";
import { exactTopKBatch } from "../../core/index.ts";
import { imageInputOf, imageMaskOf, inputShapeOf, type TrainingItems } from "../data/index.ts";
import type { Model } from "../model/towers.ts";
import type { Tokenizer } from "../../encoders/index.ts";

/** How encodeItemVectors runs. */
export interface EncodeItemOptions {
  /** Items per forward pass (default 128). */
  batch?: number;
  /** Feed an empty title (every position [PAD]) instead of each item's: only the image side reaches the vector (the probe's title-masked variant). */
  maskTitle?: boolean;
}

/** Item vectors (n × dim, row-major) for `rows` (default: every item). */
export function encodeItemVectors(model: Model, tokenizer: Tokenizer, items: TrainingItems, rows?: Int32Array, opts: EncodeItemOptions = {}): Float32Array {
  const cfg = model.config;
  const batch = opts.batch ?? 128;
  const all = rows ?? Int32Array.from(items.ids, (_, i) => i);
  const out = new Float32Array(all.length * cfg.dim);
  const image = inputShapeOf(cfg);
  for (let o = 0; o < all.length; o += batch) {
    const idx = all.subarray(o, o + batch);
    const b = idx.length;
    const v = tf.tidy(() => {
      const ids = opts.maskTitle
        ? new Int32Array(b * cfg.maxTitleLen).fill(cfg.padId)
        : tokenizer.encodeBatch(
            Array.from(idx, (r) => items.titles[r]!),
            cfg.maxTitleLen,
          );
      const titles = tf.tensor2d(ids, [b, cfg.maxTitleLen], "int32");
      const patches = tf.tensor3d(imageInputOf(items, idx, image), [b, image.tokens, image.dim]);
      const imageMask = tf.tensor1d(imageMaskOf(items, idx, image));
      const res = model.encodeItem({ titleTokens: titles, patches, imageMask });
      return res.vector;
    });
    out.set(v.dataSync(), o * cfg.dim);
    v.dispose();
  }
  return out;
}

/** Query vectors (n × dim) for canonical query strings. */
export function encodeQueryVectors(model: Model, tokenizer: Tokenizer, queries: string[], batch = 256): Float32Array {
  const cfg = model.config;
  const out = new Float32Array(queries.length * cfg.dim);
  for (let o = 0; o < queries.length; o += batch) {
    const qs = queries.slice(o, o + batch);
    const v = tf.tidy(() => model.encodeQuery(tf.tensor2d(tokenizer.encodeBatch(qs, cfg.maxQueryLen), [qs.length, cfg.maxQueryLen], "int32")));
    out.set(v.dataSync(), o * cfg.dim);
    v.dispose();
  }
  return out;
}

/** Share of queries whose exact top-k items (core's top-K, as serving ranks) contain one of their clicked items. */
export function hitRateAtK(itemVecs: Float32Array, queryVecs: Float32Array, dim: number, targets: ReadonlySet<number>[], k: number): number {
  const { rows } = exactTopKBatch({ items: itemVecs, queries: queryVecs.subarray(0, targets.length * dim), dim, k });
  let hits = 0;
  rows.forEach((top, q) => {
    if (top.some((i) => targets[q]!.has(i))) hits++;
  });
  return targets.length ? hits / targets.length : 0;
}

/** Distinct queries of a pair list with their clicked item rows. */
export function queryTargets(pairs: { query: string[]; item: Int32Array }): { queries: string[]; targets: Set<number>[] } {
  const m = new Map<string, Set<number>>();
  pairs.query.forEach((q, i) => {
    let s = m.get(q);
    if (!s) m.set(q, (s = new Set()));
    s.add(pairs.item[i]!);
  });
  return { queries: [...m.keys()], targets: [...m.values()] };
}
