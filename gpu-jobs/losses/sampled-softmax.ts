// Fine-tuning, seed 000: sampled softmax over many sampled negatives with the logQ correction,
// so that the sampled loss approximates the full softmax over the catalog. Same core as eq. 3
// (corrected-softmax.ts) with one negative group of weight 1; the negatives are trainable here
// (their item-ID embeddings and projection learn from being pushed away).
import type * as tf from "@tensorflow/tfjs";
import { correctedSoftmaxLoss } from "./corrected-softmax.ts";

/** Sampled-softmax options. */
export interface SampledSoftmaxOptions {
  /** Temperature τ on the inner products (> 0). */
  temperature: number;
  /** Treat the negatives as constants (default false: gradients reach them). */
  constantNegatives?: boolean;
  /** Positive item ids [B]: sampled negatives with the same id are masked (accidental hits). */
  posIds?: Int32Array;
  /** Item ids of the sampled negatives [S]. */
  negIds?: Int32Array;
}

/** Mean −log p(i+|q), p = softmax over [pos, negatives] of ⟨q,e⟩/τ − log Q(e). */
export function sampledSoftmaxLoss(q: tf.Tensor2D, pos: tf.Tensor2D, negatives: tf.Tensor2D, logQPos: tf.Tensor1D, logQNeg: tf.Tensor1D, opts: SampledSoftmaxOptions): tf.Scalar {
  return correctedSoftmaxLoss({
    q,
    pos,
    logQPos,
    blocks: [
      {
        vectors: negatives,
        logQ: logQNeg,
        logWeight: 0,
        constant: opts.constantNegatives ?? false,
        ids: opts.negIds,
      },
    ],
    temperature: opts.temperature,
    posIds: opts.posIds,
  });
}
