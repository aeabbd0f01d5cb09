import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { logQSoftmaxLoss } from "./logq-softmax.ts";
import type { LogQSoftmaxInput } from "./logq-softmax.ts";
import { BACKENDS, leakedBy, take, useBackend } from "./test-support.ts";

// Fixture for seed 001 eq. 3: B = 2, D = 2, M = 2 bank negatives, C = 1 cross-device negative.
const Q = [
  [1, 0],
  [0, 1],
];
const POS = [
  [0.5, 0.5],
  [0, 1],
]; // also the in-batch items (diagonal = positives)
const MBNS = [
  [1, 1],
  [0, -1],
];
const CDNS = [[2, 0]];
const LOGQ_POS = [-1, -2];
const LOGQ_MBNS = [-0.5, -3];
const LOGQ_CDNS = [-1.5];
const ALPHA = 0.5;
const BETA = 2;
const TAU = 0.5;

const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]!;
const z = (q: number[], e: number[], logQ: number) => dot(q, e) / TAU - logQ;

/** Eq. 3 written the paper's way: α and β multiply the exp terms (the code adds log α, log β). */
function expectedLoss(mask: (row: number, group: "in" | "mb" | "cd", j: number) => boolean = () => false): number {
  const losses = Q.map((q, i) => {
    const num = Math.exp(z(q, POS[i]!, LOGQ_POS[i]!));
    let den = num;
    POS.forEach((e, j) => {
      if (j !== i && !mask(i, "in", j)) den += Math.exp(z(q, e, LOGQ_POS[j]!));
    });
    MBNS.forEach((e, j) => {
      if (!mask(i, "mb", j)) den += ALPHA * Math.exp(z(q, e, LOGQ_MBNS[j]!));
    });
    CDNS.forEach((e, j) => {
      if (!mask(i, "cd", j)) den += BETA * Math.exp(z(q, e, LOGQ_CDNS[j]!));
    });
    return -Math.log(num / den);
  });
  return (losses[0]! + losses[1]!) / 2;
}

function input(extra: Partial<LogQSoftmaxInput> = {}): LogQSoftmaxInput {
  const pos = tf.tensor2d(POS);
  return {
    q: tf.tensor2d(Q),
    pos,
    inBatch: pos,
    mbns: tf.tensor2d(MBNS),
    cdns: tf.tensor2d(CDNS),
    logQPos: tf.tensor1d(LOGQ_POS),
    logQInBatch: tf.tensor1d(LOGQ_POS),
    logQMbns: tf.tensor1d(LOGQ_MBNS),
    logQCdns: tf.tensor1d(LOGQ_CDNS),
    alpha: ALPHA,
    beta: BETA,
    temperature: TAU,
    ...extra,
  };
}

describe.each(BACKENDS)("logQSoftmaxLoss (seed 001 eq. 3) on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("matches the hand-computed value with known log Q, α = 0.5, β = 2, τ = 0.5", () => {
    expect(tf.getBackend()).toBe(backend);
    // Row 0 logits: pos 0.5/0.5+1 = 2; in-batch (0,1): 0+2 = 2; MBNS 2+0.5, 0+3 (+ log 0.5); CDNS 4+1.5 (+ log 2).
    // Row 1 logits: pos 2+2 = 4; in-batch (0.5,0.5): 1+1 = 2; MBNS 2+0.5, −2+3 (+ log 0.5); CDNS 0+1.5 (+ log 2).
    const row0 = -Math.log(Math.exp(2) / (Math.exp(2) + Math.exp(2) + 0.5 * (Math.exp(2.5) + Math.exp(3)) + 2 * Math.exp(5.5)));
    const row1 = -Math.log(Math.exp(4) / (Math.exp(4) + Math.exp(2) + 0.5 * (Math.exp(2.5) + Math.exp(1)) + 2 * Math.exp(1.5)));
    expect(expectedLoss()).toBeCloseTo((row0 + row1) / 2, 12); // ≈ 2.3081
    const got = take(tf.tidy(() => logQSoftmaxLoss(input())));
    expect(got).toBeCloseTo((row0 + row1) / 2, 4);
  });

  it("with only the positive and in-batch negatives it is the logQ-corrected in-batch softmax", () => {
    const got = take(tf.tidy(() => logQSoftmaxLoss({ ...input(), mbns: undefined, cdns: undefined })));
    const row0 = -2 + Math.log(Math.exp(2) + Math.exp(2));
    const row1 = -4 + Math.log(Math.exp(4) + Math.exp(2));
    expect(got).toBeCloseTo((row0 + row1) / 2, 4);
  });

  it("masks accidental hits: negatives whose id equals the row's positive id", () => {
    // Positives are items 7 and 8; bank row 0 is item 8 again (hit for row 1), CDNS is item 7 (hit for row 0),
    // and in-batch column 1 for row 0 is item 8 ≠ 7 (kept).
    const got = take(
      tf.tidy(() =>
        logQSoftmaxLoss(
          input({
            posIds: Int32Array.from([7, 8]),
            inBatchIds: Int32Array.from([7, 8]),
            mbnsIds: Int32Array.from([8, 9]),
            cdnsIds: Int32Array.from([7]),
          }),
        ),
      ),
    );
    const want = expectedLoss((row, group, j) => (row === 1 && group === "mb" && j === 0) || (row === 0 && group === "cd" && j === 0));
    expect(got).toBeCloseTo(want, 4);
    expect(want).toBeLessThan(expectedLoss());
  });

  it("gradient: finite and non-zero w.r.t. q and pos, absent w.r.t. MBNS and CDNS; no leak", () => {
    const q = tf.variable(tf.tensor2d(Q));
    const pos = tf.variable(tf.tensor2d(POS));
    const mbns = tf.variable(tf.tensor2d(MBNS));
    const cdns = tf.variable(tf.tensor2d(CDNS));
    const logQ = [tf.tensor1d(LOGQ_POS), tf.tensor1d(LOGQ_MBNS), tf.tensor1d(LOGQ_CDNS)] as const;
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          logQSoftmaxLoss({
            q,
            pos,
            inBatch: pos,
            mbns,
            cdns,
            logQPos: logQ[0],
            logQInBatch: logQ[0],
            logQMbns: logQ[1],
            logQCdns: logQ[2],
            alpha: ALPHA,
            beta: BETA,
            temperature: TAU,
          }),
        [q, pos, mbns, cdns],
      );
      for (const v of [q, pos]) {
        const d = [...grads[v.name]!.dataSync()];
        expect(d.every(Number.isFinite)).toBe(true);
        expect(d.some((x) => Math.abs(x) > 1e-6)).toBe(true);
      }
      expect(grads[mbns.name]).toBeUndefined();
      expect(grads[cdns.name]).toBeUndefined();
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([q, pos, mbns, cdns, ...logQ]);
  });

  it("in-batch duplicates of the positive are masked too (two rows with the same item → loss 0)", () => {
    const got = take(tf.tidy(() => logQSoftmaxLoss({ ...input(), mbns: undefined, cdns: undefined, posIds: Int32Array.from([7, 7]), inBatchIds: Int32Array.from([7, 7]) })));
    expect(got).toBeCloseTo(0, 6);
  });

  it("stays finite for huge logits (|⟨q,e⟩|/τ ≈ 1e5) in value and gradient", () => {
    const q = tf.variable(tf.mul(tf.tensor2d(Q), 1000) as tf.Tensor2D);
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => logQSoftmaxLoss({ ...input(), q, temperature: 0.01 }), [q]);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect([...grads[q.name]!.dataSync()].every(Number.isFinite)).toBe(true);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    q.dispose();
  });

  it("asks for the log Q of every group given, and for α, β > 0", () => {
    tf.tidy(() => {
      expect(() => logQSoftmaxLoss({ ...input(), logQMbns: undefined })).toThrow(/logQMbns is required/);
      expect(() => logQSoftmaxLoss(input({ alpha: 0 }))).toThrow(TrainError);
      expect(() => logQSoftmaxLoss(input({ logQCdns: tf.tensor1d([1, 2]) }))).toThrow(RangeError);
    });
  });
});
