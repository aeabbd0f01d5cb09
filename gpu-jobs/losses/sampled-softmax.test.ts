import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { sampledSoftmaxLoss } from "./sampled-softmax.ts";
import { BACKENDS, leakedBy, take, useBackend } from "./test-support.ts";

const Q = [
  [1, 0],
  [0, 1],
];
const POS = [
  [1, 0],
  [0, 2],
];
const NEG = [
  [0, 1],
  [1, 1],
  [-1, 0],
];
const LOGQ_POS = [-2, -1];
const LOGQ_NEG = [-0.5, -1, -4];
const TAU = 0.5;

describe.each(BACKENDS)("sampledSoftmaxLoss on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("matches the hand-computed value (B = 2, S = 3 sampled negatives, τ = 0.5)", () => {
    expect(tf.getBackend()).toBe(backend);
    // Row 0: pos 1/0.5 + 2 = 4; negatives 0+0.5, 2+1, −2+4 → [4 | 0.5, 3, 2].
    // Row 1: pos 2/0.5 + 1 = 5; negatives 2+0.5, 2+1, 0+4 → [5 | 2.5, 3, 4].
    const row0 = -4 + Math.log(Math.exp(4) + Math.exp(0.5) + Math.exp(3) + Math.exp(2));
    const row1 = -5 + Math.log(Math.exp(5) + Math.exp(2.5) + Math.exp(3) + Math.exp(4));
    const got = take(
      tf.tidy(() =>
        sampledSoftmaxLoss(tf.tensor2d(Q), tf.tensor2d(POS), tf.tensor2d(NEG), tf.tensor1d(LOGQ_POS), tf.tensor1d(LOGQ_NEG), {
          temperature: TAU,
        }),
      ),
    );
    expect(got).toBeCloseTo((row0 + row1) / 2, 4); // ≈ 0.4441
  });

  it("masks a sampled negative that is the positive item itself", () => {
    // Row 1's positive is item 5; negative 2 is item 5 too → dropped from row 1 only.
    const row0 = -4 + Math.log(Math.exp(4) + Math.exp(0.5) + Math.exp(3) + Math.exp(2));
    const row1 = -5 + Math.log(Math.exp(5) + Math.exp(2.5) + Math.exp(3));
    const got = take(
      tf.tidy(() =>
        sampledSoftmaxLoss(tf.tensor2d(Q), tf.tensor2d(POS), tf.tensor2d(NEG), tf.tensor1d(LOGQ_POS), tf.tensor1d(LOGQ_NEG), {
          temperature: TAU,
          posIds: Int32Array.from([4, 5]),
          negIds: Int32Array.from([1, 2, 5]),
        }),
      ),
    );
    expect(got).toBeCloseTo((row0 + row1) / 2, 4);
  });

  it("trains q, positives and (by default) the sampled negatives; constantNegatives stops the latter", () => {
    const q = tf.variable(tf.tensor2d(Q));
    const pos = tf.variable(tf.tensor2d(POS));
    const neg = tf.variable(tf.tensor2d(NEG));
    const lq = [tf.tensor1d(LOGQ_POS), tf.tensor1d(LOGQ_NEG)] as const;
    for (const constantNegatives of [false, true]) {
      const leaked = leakedBy(() => {
        const { value, grads } = tf.variableGrads(() => sampledSoftmaxLoss(q, pos, neg, lq[0], lq[1], { temperature: TAU, constantNegatives }), [q, pos, neg]);
        const gq = [...grads[q.name]!.dataSync()];
        expect(gq.every(Number.isFinite) && gq.some((x) => Math.abs(x) > 1e-6)).toBe(true);
        if (constantNegatives) expect(grads[neg.name]).toBeUndefined();
        else expect([...grads[neg.name]!.dataSync()].some((x) => Math.abs(x) > 1e-6)).toBe(true);
        return [value, ...Object.values(grads)];
      });
      expect(leaked).toBe(0);
    }
    tf.dispose([q, pos, neg, ...lq]);
  });
});
