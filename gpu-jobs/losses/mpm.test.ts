import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { contrastiveMpm, regressionMpm } from "./mpm.ts";
import { BACKENDS, leakedBy, take, useBackend } from "./test-support.ts";

// Four patches in the batch; two of them (rows 1 and 3) were masked and predicted.
const TARGETS = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];
const PRED = [
  [3, 4],
  [0, -2],
]; // unit directions (0.6, 0.8) and (0, −1)
const INDEX = [1, 3];

describe.each(BACKENDS)("MPM losses on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("contrastive MPM (seed 001 eq. 1–2) matches the hand-computed value: 2 masked of 4, τ = 0.1", () => {
    expect(tf.getBackend()).toBe(backend);
    // cos(pred0, targets) = [0.6, 0.8, −0.6, −0.8] → /0.1 = [6, 8, −6, −8], own original = 1.
    // cos(pred1, targets) = [0, −1, 0, 1]         → /0.1 = [0, −10, 0, 10], own original = 3.
    const l0 = -8 + Math.log(Math.exp(6) + Math.exp(8) + Math.exp(-6) + Math.exp(-8));
    const l1 = -10 + Math.log(Math.exp(0) + Math.exp(-10) + Math.exp(0) + Math.exp(10));
    const tau = tf.variable(tf.scalar(0.1));
    const got = take(tf.tidy(() => contrastiveMpm(tf.tensor2d(PRED), tf.tensor2d(TARGETS), tf.tensor1d(INDEX, "int32"), tau)));
    expect(got).toBeCloseTo((l0 + l1) / 2, 4); // ≈ 0.0635
    tau.dispose();
  });

  it("contrastive MPM without normalisation uses raw inner products", () => {
    // pred0·targets = [3, 4, −3, −4]; pred1·targets = [0, −2, 0, 2]; τ = 1.
    const l0 = -4 + Math.log(Math.exp(3) + Math.exp(4) + Math.exp(-3) + Math.exp(-4));
    const l1 = -2 + Math.log(1 + Math.exp(-2) + 1 + Math.exp(2));
    const tau = tf.variable(tf.scalar(1));
    const got = take(tf.tidy(() => contrastiveMpm(tf.tensor2d(PRED), tf.tensor2d(TARGETS), tf.tensor1d(INDEX, "int32"), tau, { normalize: false })));
    expect(got).toBeCloseTo((l0 + l1) / 2, 4);
    tau.dispose();
  });

  it("contrastive MPM trains the predictions and the temperature, not the targets; no leak", () => {
    const pred = tf.variable(tf.tensor2d(PRED));
    const targets = tf.variable(tf.tensor2d(TARGETS));
    const tau = tf.variable(tf.scalar(0.5));
    const index = tf.tensor1d(INDEX, "int32");
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => contrastiveMpm(pred, targets, index, tau), [pred, targets, tau]);
      const gp = [...grads[pred.name]!.dataSync()];
      const gt = grads[tau.name]!.dataSync()[0]!;
      expect(gp.every(Number.isFinite) && gp.some((x) => Math.abs(x) > 1e-6)).toBe(true);
      // Positives already win: a lower τ sharpens them, so the loss rises with τ (dL/dτ > 0).
      expect(Number.isFinite(gt) && gt > 0).toBe(true);
      expect(grads[targets.name]).toBeUndefined();
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([pred, targets, tau, index]);
  });

  it("contrastive MPM is 0 when nothing was masked", () => {
    const tau = tf.variable(tf.scalar(0.1));
    const got = take(tf.tidy(() => contrastiveMpm(tf.zeros([0, 2]) as tf.Tensor2D, tf.tensor2d(TARGETS), tf.tensor1d([], "int32"), tau)));
    expect(got).toBe(0);
    tau.dispose();
  });

  it("regression MPM is the mean squared error (hand-computed 3.5)", () => {
    // (1−1)² + (2−1)² + (3−1)² + (4−1)² = 0 + 1 + 4 + 9 = 14, over 4 entries.
    const got = take(
      tf.tidy(() =>
        regressionMpm(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.ones([2, 2]),
        ),
      ),
    );
    expect(got).toBeCloseTo(3.5, 5);
    const pred = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const target = tf.variable(tf.ones([2, 2]));
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => regressionMpm(pred, target), [pred, target]);
      // d/dpred = 2(pred − target)/4.
      expect([...grads[pred.name]!.dataSync()]).toEqual([0, 0.5, 1, 1.5]);
      expect(grads[target.name]).toBeUndefined();
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([pred, target]);
  });
});
