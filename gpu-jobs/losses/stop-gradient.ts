// TF.js has no stop_gradient op. A customGrad with *zero tensor inputs* that clones a captured
// tensor does the job exactly: ops inside a custom kernel's forward are not taped, and the one
// tape node it leaves has no inputs, so no path leads from any variable through it. The
// gradient is then absent (not merely zero) and no backward work is spent on it.
import * as tf from "@tensorflow/tfjs";

/** A copy of `x` that autodiff treats as a constant (TF's stop_gradient). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad(() => ({
    value: tf.clone(x),
    // Never called: the node has no inputs, so no gradient is asked of it.
    gradFunc: () => [],
  }));
  return op() as T;
}
