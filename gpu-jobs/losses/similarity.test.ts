import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { l2Normalize, pickColumns, simMatrix, simMatrixConst } from "./similarity.ts";
import { stopGradient } from "./stop-gradient.ts";
import { BACKENDS, leakedBy, useBackend } from "./test-support.ts";

describe.each(BACKENDS)("similarity helpers on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("pickColumns picks x[i, cols[i]] and routes the gradient back to exactly those cells", () => {
    const x = tf.variable(
      tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    const cols = tf.tensor1d([2, 0], "int32");
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(pickColumns(x, cols), tf.tensor1d([10, 100]))) as tf.Scalar, [x]);
      expect(value.dataSync()[0]).toBe(3 * 10 + 4 * 100);
      expect([...grads[x.name]!.dataSync()]).toEqual([0, 0, 10, 100, 0, 0]);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([x, cols]);
  });

  it("simMatrix and simMatrixConst compute a·bᵀ; the constant side gets no gradient", () => {
    const a = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const b = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
    );
    const leaked = leakedBy(() => {
      const s = simMatrix(a, b);
      expect(s.arraySync()).toEqual([
        [1, 2, 3],
        [3, 4, 7],
      ]);
      const { value, grads } = tf.variableGrads(() => tf.sum(simMatrixConst(a, b)) as tf.Scalar, [a, b]);
      // d/da Σ a·bᵀ = 1·b = column sums of b per feature: [2, 2] on every row.
      expect([...grads[a.name]!.dataSync()]).toEqual([2, 2, 2, 2]);
      expect(grads[b.name]).toBeUndefined();
      return [s, value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([a, b]);
  });

  it("stopGradient copies the value and cuts the tape (gradient absent, not NaN)", () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const w = tf.variable(tf.tensor1d([3, 4]));
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(stopGradient(w), v)) as tf.Scalar, [v, w]);
      expect(value.dataSync()[0]).toBe(11);
      expect([...grads[v.name]!.dataSync()]).toEqual([3, 4]);
      expect(grads[w.name]).toBeUndefined();
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([v, w]);
  });

  it("l2Normalize gives unit rows and leaves the zero row at zero (finite)", () => {
    const out = tf.tidy(() =>
      l2Normalize(
        tf.tensor2d([
          [3, 4],
          [0, 0],
        ]),
      ).arraySync(),
    );
    expect(out[0]![0]).toBeCloseTo(0.6, 6);
    expect(out[0]![1]).toBeCloseTo(0.8, 6);
    expect(out[1]).toEqual([0, 0]);
  });
});
