// Masked language modelling on query and title tokens (seed 000): softmax cross-entropy on the
// masked positions only, averaged over the masked tokens of the batch.
import * as tf from "@tensorflow/tfjs";
import { requireInt32, requireShape } from "./checks.ts";
import { crossEntropyRows } from "./similarity.ts";

/** Mean cross-entropy over masked positions of logits [B,L,V], labels int32 [B,L], mask [B,L]. */
export function mlmLoss(logits: tf.Tensor3D, labels: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const [b, l, v] = logits.shape;
  requireShape("labels", labels, [b, l]);
  requireInt32("labels", labels);
  requireShape("mask", mask, [b, l]);
  return tf.tidy(() => {
    const m = tf.reshape(tf.cast(mask, "float32"), [-1]);
    // Unmasked positions may carry any label (e.g. −100): point them at class 0 so the pick stays
    // in range; their loss is then multiplied by 0. (tf.clipByValue on int32 is wrong on wasm
    // 4.22 — it ignores the upper bound — so use where, not clip.)
    const flatLabels = tf.reshape(labels, [-1]);
    const safe = tf.where(tf.greater(m, 0), flatLabels, tf.zerosLike(flatLabels)) as tf.Tensor1D;
    const ce = crossEntropyRows(tf.reshape(logits, [b * l, v]), safe);
    // max(Σ mask, 1): nothing masked gives 0 with a zero (finite) gradient, not 0/0 = NaN.
    return tf.div(tf.sum(tf.mul(ce, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}
