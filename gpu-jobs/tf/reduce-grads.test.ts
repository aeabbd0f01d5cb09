// The replaced Sum and Mean gradients: the values TF.js's own give (dy spread over the reduced
// axes, divided by the count for Mean), over any axes, with and without keepDims, and no ones
// tensor filled in JS on the way (the backend's Fill kernel makes it).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.ts";

beforeAll(async () => {
  await selectBackend({ prefer: "wasm" }); // installs them
});

// x [2,3,4] with distinct values; the loss weights every output element differently so dy is not uniform.
const x = () =>
  tf.tensor3d(
    Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1),
    [2, 3, 4],
  );
const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape))) as tf.Scalar;

describe("Sum and Mean gradients without ones", () => {
  it.each([
    { axis: 2, keepDims: false },
    { axis: [0, 2], keepDims: true },
    { axis: -2, keepDims: false },
    { axis: undefined, keepDims: false },
  ])("axis $axis keepDims $keepDims: dy spread over the reduced axes (Mean: ÷ count)", ({ axis, keepDims }) => {
    for (const op of ["sum", "mean"] as const) {
      const input = x();
      const grad = tf.grad((v: tf.Tensor) => weighted(tf[op](v, axis, keepDims)))(input);
      // Expected: the weight of the output element each input element reduces into.
      const axes = tf.util.parseAxisParam(axis ?? input.shape.map((_, i) => i), input.shape);
      const outShape = input.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((n, a) => n * input.shape[a]!, 1);
      const want = new Float32Array(24);
      for (let i = 0; i < 24; i++) {
        const idx = [Math.floor(i / 12), Math.floor(i / 4) % 3, i % 4];
        const o = idx.map((v, k) => (axes.includes(k) ? 0 : v));
        const flat = (o[0]! * outShape[1]! + o[1]!) * outShape[2]! + o[2]!;
        want[i] = op === "sum" ? flat + 1 : Math.fround((flat + 1) / count);
      }
      expect(Array.from(grad.dataSync()), `${op}`).toEqual(Array.from(want));
      tf.dispose([input, grad]);
    }
  });

  it("makes its ones with the Fill kernel, not in JS", async () => {
    const input = x();
    const info = await tf.profile(() => {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mean(v, 1)) as tf.Scalar)(input);
      expect(Array.from(g.dataSync()).every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true);
      g.dispose();
    });
    const kernels = info.kernels.map((k) => k.name);
    expect(kernels.filter((k) => k === "Fill")).toHaveLength(2); // one per reduction
    input.dispose();
  });
});
