import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { leakedBy, useBackend } from "../losses/test-support.ts";
import { avgPool2, conv3x3, conv3x3OfInput } from "./conv-ops.ts";

function maxAbs(a: tf.Tensor | (() => tf.Tensor), b: tf.Tensor | (() => tf.Tensor)): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(typeof a === "function" ? a() : a, typeof b === "function" ? b() : b))).dataSync()[0]!);
}

// The reference gradients are TF.js's own (Conv2DBackpropFilter, AvgPoolGrad), which exist on cpu.
describe("conv-ops gradients equal TF.js's own (cpu)", () => {
  beforeAll(() => useBackend("cpu"));
  const x = () => tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const w = () => tf.randomNormal([3, 3, 3, 5], 0, 1, "float32", 2) as tf.Tensor4D;
  const r = () => tf.randomNormal([3, 8, 8, 5], 0, 1, "float32", 3);

  it("conv3x3OfInput: same value as conv2d, the filter gradient of conv2d, no gradient for the input", () => {
    const leaked = leakedBy(() => {
      const [xs, ws, rs] = [x(), w(), r()];
      expect(
        maxAbs(
          () => conv3x3OfInput(xs, ws),
          () => tf.conv2d(xs, ws, 1, "same"),
        ),
      ).toBeLessThan(1e-5);
      const mine = tf.grad((b) => tf.sum(tf.mul(conv3x3OfInput(xs, b as tf.Tensor4D), rs)))(ws);
      const ref = tf.grad((b) => tf.sum(tf.mul(tf.conv2d(xs, b as tf.Tensor4D, 1, "same"), rs)))(ws);
      expect(maxAbs(mine, ref)).toBeLessThan(1e-4);
      return [xs, ws, rs, mine, ref];
    });
    expect(leaked).toBe(0);
    // The input is not on the tape: asking for its gradient finds no path.
    const xs = x();
    expect(() => tf.grad((a) => tf.sum(conv3x3OfInput(a as tf.Tensor4D, w())))(xs)).toThrow(/Cannot compute gradient/);
  });

  it("conv3x3 (both gradients) still equals conv2d's", () => {
    const [xs, ws, rs] = [x(), w(), r()];
    const g1 = tf.grads((a, b) => tf.sum(tf.mul(conv3x3(a as tf.Tensor4D, b as tf.Tensor4D), rs)))([xs, ws]);
    const g2 = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), rs)))([xs, ws]);
    expect(maxAbs(g1[0]!, g2[0]!)).toBeLessThan(1e-4);
    expect(maxAbs(g1[1]!, g2[1]!)).toBeLessThan(1e-4);
    tf.dispose([xs, ws, rs, ...g1, ...g2]);
  });

  it("avgPool2: tf.avgPool's value and gradient exactly; odd sizes refused", () => {
    const xs = tf.randomNormal([2, 6, 4, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 3, 2, 3], 0, 1, "float32", 5);
    expect(
      maxAbs(
        () => avgPool2(xs),
        () => tf.avgPool(xs, 2, 2, "valid"),
      ),
    ).toBe(0);
    const mine = tf.grad((a) => tf.sum(tf.mul(avgPool2(a as tf.Tensor4D), dy)))(xs);
    const ref = tf.grad((a) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, 2, 2, "valid"), dy)))(xs);
    expect(maxAbs(mine, ref)).toBe(0);
    expect(() => avgPool2(tf.zeros([1, 5, 4, 1]) as tf.Tensor4D)).toThrow(/even/);
    tf.dispose([xs, dy, mine, ref]);
  });
});

describe("conv-ops train on wasm (which lacks Conv2DBackpropFilter)", () => {
  beforeAll(() => useBackend("wasm"));

  it("gives the same filter gradient as on cpu", async () => {
    const grad = () =>
      tf.tidy(() => {
        const xs = tf.tensor4d(
          Float32Array.from({ length: 2 * 4 * 4 * 2 }, (_, i) => Math.sin(i)),
          [2, 4, 4, 2],
        );
        const ws = tf.tensor4d(
          Float32Array.from({ length: 3 * 3 * 2 * 3 }, (_, i) => Math.cos(i)),
          [3, 3, 2, 3],
        );
        const g = tf.grad((b) => tf.sum(tf.square(avgPool2(tf.relu(conv3x3OfInput(xs, b as tf.Tensor4D)) as tf.Tensor4D))))(ws);
        return Array.from(g.dataSync());
      });
    const onWasm = grad();
    await useBackend("cpu");
    const onCpu = grad();
    expect(onWasm.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    for (let i = 0; i < onCpu.length; i++) expect(Math.abs(onWasm[i]! - onCpu[i]!)).toBeLessThan(1e-4);
  });
});
