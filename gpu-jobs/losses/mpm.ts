// Masked patch modelling. Contrastive MPM, seed 001 eq. 1–2: each masked patch's predicted
// feature must pick its own original feature among *all* patches in the batch,
//   L_MPM = −(1/N_M) Σ_i log( exp(s(ŷ_i, y_i)/τ) / Σ_j exp(s(ŷ_i, y_j)/τ) ),
// with τ learned and N_M the number of masked patches in the batch. The regression MPM
// (FashionBERT-style) is kept as the ablation baseline.
import * as tf from "@tensorflow/tfjs";
import { requireInt32, requirePositive, requireShape } from "./checks.ts";
import { crossEntropyRows, l2Normalize, simMatrix } from "./similarity.ts";
import { stopGradient } from "./stop-gradient.ts";

/** Contrastive-MPM options. */
export interface ContrastiveMpmOptions {
  /** Cosine similarity (default true): with a learned τ, unbounded inner products of raw patch features could blow the logits up. */
  normalize?: boolean;
  /** Floor on the learned τ (default 0.01, i.e. logits at most 100× the similarity). */
  minTemperature?: number;
  /** Let gradients reach the targets (default false: the originals are fixed targets, as the paper's frozen ResNet features). */
  targetGradient?: boolean;
}

/** Seed 001 eq. 1–2 over pred [P,F], targets [T,F], targetIndex int32 [P], learned scalar τ. */
export function contrastiveMpm(pred: tf.Tensor2D, targets: tf.Tensor2D, targetIndex: tf.Tensor1D, temperature: tf.Scalar, opts: ContrastiveMpmOptions = {}): tf.Scalar {
  const [p, f] = pred.shape;
  requireShape("targets", targets, [null, f]);
  requireShape("targetIndex", targetIndex, [p]);
  requireInt32("targetIndex", targetIndex);
  requireShape("temperature", temperature, []);
  const minT = opts.minTemperature ?? 0.01;
  requirePositive("minTemperature", minT);
  // No masked patch in this batch: the term is 0 (not NaN from a mean over nothing).
  if (p === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const y = opts.targetGradient ? targets : stopGradient(targets);
    const normalize = opts.normalize ?? true;
    const sim = simMatrix(normalize ? l2Normalize(pred) : pred, normalize ? l2Normalize(y) : y);
    // τ is clamped below (its gradient vanishes only while it sits at the floor).
    const tau = tf.maximum(temperature, minT);
    const logits = tf.div(sim, tau) as tf.Tensor2D;
    return tf.mean(crossEntropyRows(logits, targetIndex)) as tf.Scalar;
  });
}

/** Regression-MPM options. */
export interface RegressionMpmOptions {
  /** Let gradients reach the targets (default false: a trainable target invites collapse to a constant). */
  targetGradient?: boolean;
}

/** Mean squared error between predicted and original masked-patch features (same shapes). */
export function regressionMpm(pred: tf.Tensor, target: tf.Tensor, opts: RegressionMpmOptions = {}): tf.Scalar {
  requireShape("target", target, pred.shape);
  if (pred.size === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const y = opts.targetGradient ? target : stopGradient(target);
    return tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar;
  });
}
