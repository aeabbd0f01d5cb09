import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { mlmLoss } from "./mlm.ts";
import { BACKENDS, leakedBy, take, useBackend } from "./test-support.ts";

// B = 1, L = 3, V = 3; positions 0 and 2 are masked, position 1 carries an ignored label (−100).
const LOGITS = [
  [
    [2, 0, 1],
    [5, 5, 5],
    [0, 3, -1],
  ],
];
const LABELS = [[0, -100, 1]];
const MASK = [[1, 0, 1]];

describe.each(BACKENDS)("mlmLoss on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("is the mean cross-entropy over masked positions only (hand-computed)", () => {
    expect(tf.getBackend()).toBe(backend);
    const ce0 = -2 + Math.log(Math.exp(2) + Math.exp(0) + Math.exp(1));
    const ce2 = -3 + Math.log(Math.exp(0) + Math.exp(3) + Math.exp(-1));
    const got = take(tf.tidy(() => mlmLoss(tf.tensor3d(LOGITS), tf.tensor2d(LABELS, undefined, "int32"), tf.tensor2d(MASK))));
    expect(got).toBeCloseTo((ce0 + ce2) / 2, 4); // ≈ 0.2367
  });

  it("is 0 (not NaN) with a zero gradient when nothing is masked", () => {
    const logits = tf.variable(tf.tensor3d(LOGITS));
    const labels = tf.tensor2d(LABELS, undefined, "int32");
    const none = tf.zeros([1, 3]) as tf.Tensor2D;
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => mlmLoss(logits, labels, none), [logits]);
      expect(value.dataSync()[0]).toBe(0);
      expect([...grads[logits.name]!.dataSync()].every((x) => x === 0)).toBe(true);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([logits, labels, none]);
  });

  it("gradient is softmax − onehot on masked rows, 0 on unmasked ones; no leak", () => {
    const logits = tf.variable(tf.tensor3d(LOGITS));
    const labels = tf.tensor2d(LABELS, undefined, "int32");
    const mask = tf.tensor2d(MASK);
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => mlmLoss(logits, labels, mask), [logits]);
      const g = [...grads[logits.name]!.dataSync()];
      const z = [2, 0, 1];
      const den = z.reduce((s, x) => s + Math.exp(x), 0);
      // Row 0, label 0: (softmax − onehot) / 2 masked tokens.
      z.forEach((x, j) => expect(g[j]!).toBeCloseTo((Math.exp(x) / den - (j === 0 ? 1 : 0)) / 2, 5));
      expect(g.slice(3, 6)).toEqual([0, 0, 0]);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([logits, labels, mask]);
  });
});
