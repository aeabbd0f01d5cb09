import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { logQSoftmaxLoss } from "../losses/logq-softmax.ts";
import { leakedBy, useBackend } from "../losses/test-support.ts";
import { crossDeviceIds, crossDeviceNegatives, replicaRows, splitReplicas } from "./cross-device.ts";

describe("splitReplicas", () => {
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

  it("rejects impossible splits with BAD_OPTION", () => {
    expect(() => splitReplicas(2, 3)).toThrow(TrainError);
    expect(() => splitReplicas(4, 0)).toThrow(/replicas/);
    expect(() => splitReplicas(4.5, 2)).toThrow(TrainError);
  });
});

describe.each(["cpu", "wasm"] as const)("crossDeviceNegatives (CDNS) on %s", (backend) => {
  beforeAll(() => useBackend(backend));
  const rows = [
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 6],
  ];

  it("returns the other replicas' rows in order, and their ids/log Q alike", () => {
    expect(tf.getBackend()).toBe(backend);
    const ranges = splitReplicas(7, 3); // [0,3) [3,5) [5,7)
    const leaked = leakedBy(() => {
      const x = tf.tensor2d(rows);
      const neg1 = crossDeviceNegatives(x, 1, ranges);
      expect(neg1.arraySync()).toEqual([
        [0, 0],
        [1, 1],
        [2, 2],
        [5, 5],
        [6, 6],
      ]);
      const neg0 = crossDeviceNegatives(x, 0, ranges);
      expect(neg0.arraySync()).toEqual([
        [3, 3],
        [4, 4],
        [5, 5],
        [6, 6],
      ]);
      const allLogQ = tf.tensor1d([0, -1, -2, -3, -4, -5, -6]);
      const logQ = crossDeviceNegatives(allLogQ, 2, ranges);
      expect([...logQ.dataSync()]).toEqual([0, -1, -2, -3, -4]);
      expect([...crossDeviceIds(Int32Array.from([10, 11, 12, 13, 14, 15, 16]), 1, ranges)]).toEqual([10, 11, 12, 15, 16]);
      const own = replicaRows(x, 1, ranges);
      expect(own.arraySync()).toEqual([
        [3, 3],
        [4, 4],
      ]);
      return [x, neg1, neg0, allLogQ, logQ, own];
    });
    expect(leaked).toBe(0);
  });

  it("passes no gradient through the other replicas' rows (replica 0's micro-batch loss)", () => {
    const ranges = splitReplicas(4, 2); // replica 0 = rows 0–1, replica 1 = rows 2–3
    const items = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
        [-1, 0],
      ]),
    );
    const queries = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
      [-1, 0],
    ]);
    const logQ = tf.tensor1d([-1, -1, -1, -1]);
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const own = replicaRows(items as tf.Tensor2D, 0, ranges);
        return logQSoftmaxLoss({
          q: replicaRows(queries, 0, ranges),
          pos: own,
          inBatch: own,
          logQPos: replicaRows(logQ, 0, ranges),
          logQInBatch: replicaRows(logQ, 0, ranges),
          cdns: crossDeviceNegatives(items as tf.Tensor2D, 0, ranges),
          logQCdns: crossDeviceNegatives(logQ, 0, ranges),
          beta: 2,
          temperature: 1,
        });
      }, [items]);
      const g = grads[items.name]!.arraySync() as number[][];
      // Replica 0's own rows learn; replica 1's rows, used only as CDNS negatives, get exactly 0.
      expect(
        g
          .slice(0, 2)
          .flat()
          .some((x) => Math.abs(x) > 1e-6),
      ).toBe(true);
      expect(g.slice(2).flat()).toEqual([0, 0, 0, 0]);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(0);
    // And used only as CDNS negatives, the source has no connection to the loss at all.
    expect(() =>
      tf.variableGrads(
        () =>
          logQSoftmaxLoss({
            q: replicaRows(queries, 0, ranges),
            pos: tf.tensor2d([
              [1, 0],
              [0, 1],
            ]),
            logQPos: replicaRows(logQ, 0, ranges),
            cdns: crossDeviceNegatives(items as tf.Tensor2D, 0, ranges),
            logQCdns: crossDeviceNegatives(logQ, 0, ranges),
            temperature: 1,
          }),
        [items],
      ),
    ).toThrow(/Cannot find a connection/);
    tf.dispose([items, queries, logQ]);
  });
});
