import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { amSoftmaxLoss } from "./am-softmax.ts";
import { BACKENDS, jsCrossEntropy, leakedBy, take, useBackend } from "./test-support.ts";

describe.each(BACKENDS)("amSoftmaxLoss on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  // q and items are deliberately not unit length: the loss must normalise them.
  // Unit directions: q0 = (1,0), q1 = (0.6,0.8); items (1,0), (0,1), (0.6,0.8).
  const qRows = [
    [2, 0],
    [3, 4],
  ];
  const itemRows = [
    [1, 0],
    [0, 2],
    [3, 4],
  ];

  it("matches the hand-computed value (2 queries × 3 items, m = 0.2, s = 10)", () => {
    // cos(q0,·) = [1, 0, 0.6], target 0 → logits 10·[1−0.2, 0, 0.6] = [8, 0, 6]
    // cos(q1,·) = [0.6, 0.8, 1], target 1 → logits 10·[0.6, 0.8−0.2, 1] = [6, 6, 10]
    const l0 = -8 + Math.log(Math.exp(8) + Math.exp(0) + Math.exp(6));
    const l1 = -6 + Math.log(Math.exp(6) + Math.exp(6) + Math.exp(10));
    const expected = (l0 + l1) / 2; // ≈ 2.0816
    expect(jsCrossEntropy([8, 0, 6], 0)).toBeCloseTo(l0, 12);
    const got = take(tf.tidy(() => amSoftmaxLoss(tf.tensor2d(qRows), tf.tensor2d(itemRows), tf.tensor1d([0, 1], "int32"), { margin: 0.2, scale: 10 })));
    expect(got).toBeCloseTo(expected, 4);
  });

  it("margin 0 is plain scaled-cosine softmax, and a larger margin costs more", () => {
    const run = (margin: number) => take(tf.tidy(() => amSoftmaxLoss(tf.tensor2d(qRows), tf.tensor2d(itemRows), tf.tensor1d([0, 1], "int32"), { margin, scale: 10 })));
    const plain = (jsCrossEntropy([10, 0, 6], 0) + jsCrossEntropy([6, 8, 10], 1)) / 2;
    expect(run(0)).toBeCloseTo(plain, 4);
    expect(run(0.35)).toBeGreaterThan(run(0.2));
  });

  it("gives finite, non-zero gradients to q and items, and leaks no tensors", () => {
    const q = tf.variable(tf.tensor2d(qRows));
    const items = tf.variable(tf.tensor2d(itemRows));
    const labels = tf.tensor1d([0, 1], "int32");
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => amSoftmaxLoss(q, items, labels, { margin: 0.2, scale: 10 }), [q, items]);
      for (const g of [grads[q.name]!, grads[items.name]!]) {
        const data = [...g.dataSync()];
        expect(data.every(Number.isFinite)).toBe(true);
        expect(data.some((x) => Math.abs(x) > 1e-6)).toBe(true);
      }
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([q, items, labels]);
  });

  it("rejects a bad margin/scale with BAD_OPTION and a bad label dtype with RangeError", () => {
    tf.tidy(() => {
      const q = tf.tensor2d(qRows);
      const it3 = tf.tensor2d(itemRows);
      const lab = tf.tensor1d([0, 1], "int32");
      expect(() => amSoftmaxLoss(q, it3, lab, { margin: -0.1, scale: 10 })).toThrow(TrainError);
      expect(() => amSoftmaxLoss(q, it3, lab, { margin: 0.2, scale: 0 })).toThrow(/scale/);
      expect(() => amSoftmaxLoss(q, it3, tf.tensor1d([0, 1]), { margin: 0.2, scale: 10 })).toThrow(RangeError);
    });
  });
});
