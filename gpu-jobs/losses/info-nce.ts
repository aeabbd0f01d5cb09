// QIM (query ↔ item) and QIM2 (query ↔ image), seed 000: in-batch contrastive matching. Row i
// of the batch is the positive pair (q_i, k_i); every other k_j in the batch is a negative.
import * as tf from "@tensorflow/tfjs";
import { requirePositive, requireShape } from "./checks.ts";
import { crossEntropyRows, diagonalLabels, l2Normalize, simMatrix } from "./similarity.ts";

/** In-batch InfoNCE options. */
export interface InfoNceOptions {
  /** Softmax temperature τ: logits are ⟨q, k⟩ / τ (> 0). */
  temperature: number;
  /** Also score k → q (columns) and average both directions (default false: q → k only). */
  symmetric?: boolean;
  /** L2-normalise q and k first (default false: the towers already emit unit vectors). */
  normalize?: boolean;
}

/** Mean in-batch InfoNCE over q [B,D] and k [B,D], positives on the diagonal. */
export function infoNce(q: tf.Tensor2D, k: tf.Tensor2D, opts: InfoNceOptions): tf.Scalar {
  requirePositive("temperature", opts.temperature);
  requireShape("k", k, q.shape);
  return tf.tidy(() => {
    const qq = opts.normalize ? l2Normalize(q) : q;
    const kk = opts.normalize ? l2Normalize(k) : k;
    const logits = tf.div(simMatrix(qq, kk), opts.temperature) as tf.Tensor2D;
    const labels = diagonalLabels(q.shape[0]);
    const forward = tf.mean(crossEntropyRows(logits, labels));
    if (!opts.symmetric) return forward as tf.Scalar;
    // k → q reuses the same matrix transposed (no second matMul).
    const backward = tf.mean(crossEntropyRows(tf.transpose(logits), labels));
    return tf.mul(tf.add(forward, backward), 0.5) as tf.Scalar;
  });
}
