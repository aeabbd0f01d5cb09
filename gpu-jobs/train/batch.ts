// One training batch as plain arrays: tokens, patches, image mask, and the MLM/MPM masks drawn
// from a stream seeded by (seed, step) — so a resumed run draws exactly the same masks.
import * as tf from "@tensorflow/tfjs";
import { stream } from "../../core/index.ts";
import { imageInputOf, imageMaskOf, inputShapeOf, type TrainingData } from "../data/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { numPatches, patchInputDim } from "../model/config.ts";
import { SPECIAL_TOKENS, type Tokenizer } from "../../encoders/index.ts";

/** A batch in typed arrays (B pairs). */
export interface HostBatch {
  /** Batch size. */
  b: number;
  /** Item row of each pair. */
  items: Int32Array;
  /** Query tokens [B×Lq] and title tokens [B×Lt] after MLM masking. */
  queryTokens: Int32Array;
  titleTokens: Int32Array;
  /** MLM labels (original ids) and mask (1 where masked) for queries and titles. */
  queryLabels: Int32Array;
  queryMask: Float32Array;
  titleLabels: Int32Array;
  titleMask: Float32Array;
  /** Patches [B×P×patchDim] in [0,1] (a backbone's features [B×tokens×C] instead when the model has one), image mask [B], masked patches [B×P]. */
  patches: Float32Array;
  imageMask: Float32Array;
  maskedPatches: Float32Array;
  /** Two augmented views of the items' thumbnails as patches [B×P×patchDim] (data/augment.ts), when the step learns image–image contrast. */
  views?: [Float32Array, Float32Array];
}

/** The batch as tensors (dispose with tf.dispose(Object.values(t))). */
export interface TensorBatch {
  queryTokens: tf.Tensor2D;
  titleTokens: tf.Tensor2D;
  queryLabels: tf.Tensor2D;
  queryMask: tf.Tensor2D;
  titleLabels: tf.Tensor2D;
  titleMask: tf.Tensor2D;
  patches: tf.Tensor3D;
  imageMask: tf.Tensor1D;
  maskedPatches: tf.Tensor2D;
  /** The host batch's two augmented views, when it has them. */
  viewA?: tf.Tensor3D;
  viewB?: tf.Tensor3D;
}

/** Masking rates for one batch. */
export interface MaskRates {
  /** Share of real tokens replaced by [MASK]. */
  tokens: number;
  /** Share of patches replaced by the learned mask patch (items with images only). */
  patches: number;
}

function maskTokens(tokens: Int32Array, rate: number, rnd: () => number): { labels: Int32Array; mask: Float32Array } {
  const labels = new Int32Array(tokens.length);
  const mask = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === SPECIAL_TOKENS.PAD || rate === 0 || rnd() >= rate) continue;
    labels[i] = tokens[i]!;
    mask[i] = 1;
    tokens[i] = SPECIAL_TOKENS.MASK;
  }
  return { labels, mask };
}

/**
 * Assemble the batch of pairs `pairIdx` for step `step`. With `titleDropout` > 0 that share of the
 * items with an image get an all-[PAD] title (drawn from their own stream, so 0 leaves every other
 * draw as it was): the item vector must then carry what the image shows.
 */
export function buildBatch(data: TrainingData, tokenizer: Tokenizer, cfg: ModelConfig, pairIdx: Int32Array, step: number, seed: number, rates: MaskRates, titleDropout = 0): HostBatch {
  const b = pairIdx.length;
  const items = Int32Array.from(pairIdx, (p) => data.pairs.item[p]!);
  const queryTokens = tokenizer.encodeBatch(
    Array.from(pairIdx, (p) => data.pairs.query[p]!),
    cfg.maxQueryLen,
  );
  const titleTokens = tokenizer.encodeBatch(
    Array.from(items, (r) => data.items.titles[r]!),
    cfg.maxTitleLen,
  );
  const p = numPatches(cfg);
  const image = inputShapeOf(cfg);
  const imageMask = imageMaskOf(data.items, items, image);
  if (titleDropout > 0) {
    const drop = stream(seed, `titles:${step}`);
    for (let i = 0; i < b; i++) if (imageMask[i] && drop.next() < titleDropout) titleTokens.fill(SPECIAL_TOKENS.PAD, i * cfg.maxTitleLen, (i + 1) * cfg.maxTitleLen);
  }
  const rng = stream(seed, `masks:${step}`);
  const rnd = () => rng.next();
  const q = maskTokens(queryTokens, rates.tokens, rnd);
  const t = maskTokens(titleTokens, rates.tokens, rnd);
  const maskedPatches = new Float32Array(b * p);
  for (let i = 0; i < b; i++) {
    if (!imageMask[i]) continue;
    for (let j = 0; j < p; j++) if (rates.patches > 0 && rnd() < rates.patches) maskedPatches[i * p + j] = 1;
  }
  const patches = imageInputOf(data.items, items, image);
  return {
    b,
    items,
    queryTokens,
    titleTokens,
    queryLabels: q.labels,
    queryMask: q.mask,
    titleLabels: t.labels,
    titleMask: t.mask,
    patches,
    imageMask,
    maskedPatches,
  };
}

/** Upload a host batch. */
export function toTensors(h: HostBatch, cfg: ModelConfig): TensorBatch {
  const p = numPatches(cfg);
  const pd = patchInputDim(cfg);
  return {
    queryTokens: tf.tensor2d(h.queryTokens, [h.b, cfg.maxQueryLen], "int32"),
    titleTokens: tf.tensor2d(h.titleTokens, [h.b, cfg.maxTitleLen], "int32"),
    queryLabels: tf.tensor2d(h.queryLabels, [h.b, cfg.maxQueryLen], "int32"),
    queryMask: tf.tensor2d(h.queryMask, [h.b, cfg.maxQueryLen]),
    titleLabels: tf.tensor2d(h.titleLabels, [h.b, cfg.maxTitleLen], "int32"),
    titleMask: tf.tensor2d(h.titleMask, [h.b, cfg.maxTitleLen]),
    patches: tf.tensor3d(h.patches, [h.b, p, pd]),
    imageMask: tf.tensor1d(h.imageMask),
    maskedPatches: tf.tensor2d(h.maskedPatches, [h.b, p]),
    ...(h.views ? { viewA: tf.tensor3d(h.views[0], [h.b, p, pd]), viewB: tf.tensor3d(h.views[1], [h.b, p, pd]) } : {}),
  };
}
