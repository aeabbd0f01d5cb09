import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { logQSoftmaxLoss } from "../losses/logq-softmax.ts";
import { leakedBy, useBackend } from "../losses/test-support.ts";
import { crossDeviceIds, crossDeviceNegatives, splitReplicas } from "./cross-device.ts";

describe("splitReplicas (the workers' shards of a global batch)", () => {
  it("splits into contiguous ranges differing by at most one row", () => {
    expect(splitReplicas(8, 2)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
    ]);
    expect(splitReplicas(7, 3)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 5 },
      { start: 5, end: 7 },
    ]);
    expect(splitReplicas(5, 1)).toEqual([{ start: 0, end: 5 }]);
    expect(splitReplicas(3, 3)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 3 },
    ]);
  });

  it("rejects impossible splits with BAD_OPTION naming the flag", () => {
    expect(() => splitReplicas(2, 3)).toThrow(TrainError);
    expect(() => splitReplicas(2, 3)).toThrow(/--workers/);
    expect(() => splitReplicas(4, 0)).toThrow(/workers/);
    expect(() => splitReplicas(4.5, 2)).toThrow(TrainError);
  });
});

describe.each(["cpu", "wasm"] as const)("crossDeviceNegatives (CDNS) on %s", (backend) => {
  beforeAll(() => useBackend(backend));
  // Global batch of 7 rows over 3 workers: [0,3) [3,5) [5,7); row i's vector is (i, −i), its item 10 + i.
  const ranges = splitReplicas(7, 3);
  const gathered = Float32Array.from({ length: 14 }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2));
  const items = Int32Array.from([10, 11, 12, 13, 14, 15, 16]);
  const logQ = Float32Array.from({ length: 20 }, (_, r) => -r / 10); // per catalog row

  it("returns the other workers' rows in rank order, with their log Q and item ids", () => {
    expect(tf.getBackend()).toBe(backend);
    const leaked = leakedBy(() => {
      const w1 = crossDeviceNegatives(gathered, 2, items, logQ, 1, ranges);
      expect(w1.vectors.arraySync()).toEqual([
        [0, -0],
        [1, -1],
        [2, -2],
        [5, -5],
        [6, -6],
      ]);
      expect([...w1.ids]).toEqual([10, 11, 12, 15, 16]);
      expect([...w1.logQ.dataSync()]).toEqual([-1, -1.1, -1.2, -1.5, -1.6].map(Math.fround));
      const w0 = crossDeviceNegatives(gathered, 2, items, logQ, 0, ranges);
      expect(w0.vectors.shape).toEqual([4, 2]);
      expect([...w0.ids]).toEqual([13, 14, 15, 16]);
      expect([...crossDeviceIds(items, 2, ranges)]).toEqual([10, 11, 12, 13, 14]);
      return [w1.vectors, w1.logQ, w0.vectors, w0.logQ];
    });
    expect(leaked).toBe(0);
  });

  it("are constants in worker 0's eq. 3 loss: its own items learn, nothing flows back through the others'", () => {
    const own = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
    );
    const q = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const cross = crossDeviceNegatives(gathered, 2, items, logQ, 0, ranges);
        const lq = tf.tensor1d([-1, -1.1, -1.2]);
        return logQSoftmaxLoss({
          q,
          pos: own as tf.Tensor2D,
          inBatch: own as tf.Tensor2D,
          logQPos: lq,
          logQInBatch: lq,
          cdns: cross.vectors,
          logQCdns: cross.logQ,
          cdnsIds: cross.ids,
          beta: 2,
          temperature: 1,
        });
      }, [own]);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      expect([...grads[own.name]!.dataSync()].some((x) => Math.abs(x) > 1e-6)).toBe(true);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    tf.dispose([own, q]);
  });

  it("rejects a gathered buffer of the wrong size and a group of one", () => {
    expect(() => crossDeviceNegatives(gathered.subarray(2), 2, items, logQ, 0, ranges)).toThrow(RangeError);
    expect(() => crossDeviceNegatives(gathered, 2, items, logQ, 3, ranges)).toThrow(/replica/);
    expect(() => crossDeviceNegatives(gathered, 2, items, logQ, 0, splitReplicas(7, 1))).toThrow(/2 workers/);
  });
});
