// The gradients of Sum and Mean without a ones tensor filled in JS. TF.js 4.22 spreads dy over the
// reduced axes by multiplying it with ones(x.shape), which it fills in a fresh JS Float32Array: for
// every layer norm of a training step two arrays the size of the activations, ~25 MB a cpu-preset
// step, all V8 external memory (more GC). The same product with the ones made by the backend's Fill
// kernel (on wasm, a fill of its own heap) gives the same gradients bit for bit. (Broadcasting dy
// with Tile instead made a cpu-preset step ~50% slower on wasm: its Tile is a scalar loop.)
import * as tf from "@tensorflow/tfjs";

let installed = false;

// dy with the reduced axes restored, times ones of x's shape: dy broadcast to x (XNNPACK's multiply on wasm).
function spread(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const shape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) shape[a] = 1;
  return tf.mul(tf.reshape(dy, shape), tf.fill(x.shape, 1, "float32"));
}

/** Replace TF.js's Sum and Mean gradients (global to every backend; once per thread). */
export function installReduceGradients(): void {
  if (installed) return;
  tf.registerGradient({
    kernelName: "Sum",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const { axis } = attrs as unknown as { axis: number | number[] };
      return { x: () => spread(dy as tf.Tensor, x!, axis) };
    },
  });
  tf.registerGradient({
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const { axis } = attrs as unknown as { axis: number | number[] };
      const size = tf.util.parseAxisParam(axis, x!.shape).reduce((n, a) => n * x!.shape[a]!, 1);
      return { x: () => tf.div(spread(dy as tf.Tensor, x!, axis), size) };
    },
  });
  installed = true;
}
