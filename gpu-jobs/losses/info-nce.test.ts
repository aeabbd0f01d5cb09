import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { infoNce } from "./info-nce.ts";
import { BACKENDS, leakedBy, take, useBackend } from "./test-support.ts";

describe.each(BACKENDS)("infoNce on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  const qRows = [
    [1, 0],
    [0, 1],
  ];
  const kRows = [
    [1, 0],
    [0.6, 0.8],
  ];
  // q·kᵀ = [[1, 0.6], [0, 0.8]]; τ = 0.5 → logits [[2, 1.2], [0, 1.6]], positives on the diagonal.
  const rowLoss = (-2 + Math.log(Math.exp(2) + Math.exp(1.2)) + (-1.6 + Math.log(Math.exp(0) + Math.exp(1.6)))) / 2;
  // Columns (k → q): [2, 0] target 0; [1.2, 1.6] target 1.
  const colLoss = (-2 + Math.log(Math.exp(2) + Math.exp(0)) + (-1.6 + Math.log(Math.exp(1.2) + Math.exp(1.6)))) / 2;

  it("q → k matches the hand-computed value (τ = 0.5)", () => {
    expect(tf.getBackend()).toBe(backend);
    const got = take(tf.tidy(() => infoNce(tf.tensor2d(qRows), tf.tensor2d(kRows), { temperature: 0.5 })));
    expect(got).toBeCloseTo(rowLoss, 4); // ≈ 0.2775
  });

  it("symmetric averages both directions", () => {
    const got = take(tf.tidy(() => infoNce(tf.tensor2d(qRows), tf.tensor2d(kRows), { temperature: 0.5, symmetric: true })));
    expect(got).toBeCloseTo((rowLoss + colLoss) / 2, 4);
  });

  it("normalize: scaling the inputs does not change the loss", () => {
    const got = take(
      tf.tidy(() =>
        infoNce(tf.mul(tf.tensor2d(qRows), 3) as tf.Tensor2D, tf.mul(tf.tensor2d(kRows), 5) as tf.Tensor2D, {
          temperature: 0.5,
          normalize: true,
        }),
      ),
    );
    expect(got).toBeCloseTo(rowLoss, 4);
  });

  it("gives finite, non-zero gradients to q and k without leaking", () => {
    const q = tf.variable(tf.tensor2d(qRows));
    const k = tf.variable(tf.tensor2d(kRows));
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => infoNce(q, k, { temperature: 0.5, symmetric: true }), [q, k]);
      for (const g of Object.values(grads)) {
        const d = [...g.dataSync()];
        expect(d.every(Number.isFinite)).toBe(true);
        expect(d.some((x) => Math.abs(x) > 1e-6)).toBe(true);
      }
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([q, k]);
  });
});
