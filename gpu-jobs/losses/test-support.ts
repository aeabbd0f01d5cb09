// Shared by the loss and negative-sampler tests: backend switching, a leak check, and plain-JS
// arithmetic for the hand-computed expectations (no TF in the expected values).
import * as tf from "@tensorflow/tfjs";

/** The backends every loss is checked on. */
export const BACKENDS = ["cpu", "wasm"] as const;

/** Activate a backend for the tests that follow. */
export async function useBackend(name: (typeof BACKENDS)[number]): Promise<void> {
  if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
    // Threads need Web Workers, which never start in Node (DESIGN.md §10).
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} did not start`);
  await tf.ready();
}

/** Run fn, dispose what it returns, and report how many tensors it leaked (want 0). */
export function leakedBy(fn: () => tf.TensorContainer): number {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  return tf.memory().numTensors - before;
}

/** Read a scalar and dispose it. */
export function take(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** Plain-JS −log softmax(z)[label]. */
export function jsCrossEntropy(z: readonly number[], label: number): number {
  const denom = z.reduce((s, x) => s + Math.exp(x), 0);
  return -(z[label]! - Math.log(denom));
}

/** Plain-JS mean. */
export function jsMean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
