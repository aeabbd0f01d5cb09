// Deterministic synthetic batches for the model's tests and micro-benchmark.
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.ts";
import { numPatches } from "./config.ts";
import { mulberry32 } from "./params.ts";

/** Options of a synthetic batch. */
export interface SyntheticBatchOptions {
  /** Items (and queries) in the batch. */
  batch: number;
  /** PRNG seed of the contents. */
  seed: number;
  /** Fill value for every patch pixel instead of random pixels (to vary only the image). */
  patchValue?: number;
  /** imageMask per item (default: alternating 1, 0). */
  imageMask?: number[];
}

/** A synthetic batch: raw values, so the same batch can be built on any backend. */
export interface SyntheticBatch {
  /** Title ids [B,Lt] (padded with 0 at the end). */
  title: Int32Array;
  /** Query ids [B,Lq]. */
  query: Int32Array;
  /** Patch pixels [B,P,S²·3]. */
  patches: Float32Array;
  /** [B] image flags. */
  imageMask: Float32Array;
}

/** Random titles and queries with trailing padding, random (or constant) patches. */
export function syntheticBatch(cfg: ModelConfig, opts: SyntheticBatchOptions): SyntheticBatch {
  const rand = mulberry32(opts.seed);
  const b = opts.batch;
  const ids = (len: number) => {
    const out = new Int32Array(b * len);
    for (let i = 0; i < b; i++) {
      const real = 1 + Math.floor(rand() * len);
      for (let j = 0; j < real; j++) out[i * len + j] = 1 + Math.floor(rand() * (cfg.vocabSize - 1));
    }
    return out;
  };
  const title = ids(cfg.maxTitleLen);
  const query = ids(cfg.maxQueryLen);
  const patchLen = numPatches(cfg) * cfg.patchSize * cfg.patchSize * 3;
  const patches = new Float32Array(b * patchLen);
  for (let i = 0; i < patches.length; i++) patches[i] = opts.patchValue ?? rand();
  const imageMask = Float32Array.from({ length: b }, (_, i) => opts.imageMask?.[i] ?? (i % 2 === 0 ? 1 : 0));
  return { title, query, patches, imageMask };
}

/** The batch as tensors on the current backend. */
export function batchTensors(cfg: ModelConfig, s: SyntheticBatch) {
  const b = s.imageMask.length;
  return {
    titleTokens: tf.tensor2d(s.title, [b, cfg.maxTitleLen], "int32"),
    queryTokens: tf.tensor2d(s.query, [b, cfg.maxQueryLen], "int32"),
    patches: tf.tensor3d(s.patches, [b, numPatches(cfg), cfg.patchSize * cfg.patchSize * 3]),
    imageMask: tf.tensor1d(s.imageMask),
  };
}
