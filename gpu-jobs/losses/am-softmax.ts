// QIC, seed 000: query–item classification with an additive-margin softmax (AM-Softmax) over
// cosine similarities. The margin m is taken from the target's cosine only, so the target must
// win by m in cosine space; s rescales the bounded cosines into a useful logit range.
import * as tf from "@tensorflow/tfjs";
import { requireInt32, requireNonNegative, requirePositive, requireShape } from "./checks.ts";
import { crossEntropyRows, l2Normalize, simMatrix } from "./similarity.ts";

/** AM-Softmax hyper-parameters. */
export interface AmSoftmaxOptions {
  /** Additive cosine margin m subtracted from the target logit (≥ 0; typical 0.2–0.35). */
  margin: number;
  /** Scale s multiplying every cosine (> 0; typical 10–30). */
  scale: number;
}

/** Mean AM-Softmax loss: −log softmax(s·(cos(q, items) − m·onehot(labels)))[label]. */
export function amSoftmaxLoss(q: tf.Tensor2D, items: tf.Tensor2D, labels: tf.Tensor1D, opts: AmSoftmaxOptions): tf.Scalar {
  requireNonNegative("margin", opts.margin);
  requirePositive("scale", opts.scale);
  const [b, d] = q.shape;
  requireShape("items", items, [null, d]);
  requireShape("labels", labels, [b]);
  requireInt32("labels", labels);
  return tf.tidy(() => {
    // Both sides are L2-normalised here, so the logits are cosines whatever the towers emit.
    const cos = simMatrix(l2Normalize(q), l2Normalize(items));
    const margin = tf.mul(tf.oneHot(labels, items.shape[0]), opts.margin);
    const logits = tf.mul(tf.sub(cos, margin), opts.scale) as tf.Tensor2D;
    return tf.mean(crossEntropyRows(logits, labels)) as tf.Scalar;
  });
}
