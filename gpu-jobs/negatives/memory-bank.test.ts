import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { logQSoftmaxLoss } from "../losses/logq-softmax.ts";
import { BACKENDS, leakedBy, useBackend } from "../losses/test-support.ts";
import { MemoryBank } from "./memory-bank.ts";

/** Batch k: two rows whose values and ids encode k, so order is checkable. */
function batch(k: number): { vectors: tf.Tensor2D; logQ: tf.Tensor1D; ids: Int32Array } {
  return {
    vectors: tf.tensor2d([
      [k, 0],
      [0, k],
    ]),
    logQ: tf.tensor1d([-k, -k - 0.5]),
    ids: Int32Array.from([10 * k, 10 * k + 1]),
  };
}

describe.each(BACKENDS)("MemoryBank (MBNS) on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("is empty at first, then keeps the last M batches in FIFO order (push M+2 → oldest two gone)", () => {
    expect(tf.getBackend()).toBe(backend);
    const bank = new MemoryBank({ capacity: 3 });
    expect(bank.size).toBe(0);
    expect(bank.negatives()).toBeNull();
    for (let k = 1; k <= 5; k++) {
      const b = batch(k);
      bank.push(b.vectors, b.logQ, b.ids);
      tf.dispose([b.vectors, b.logQ]); // the bank holds its own copies
    }
    expect(bank.size).toBe(3);
    expect(bank.capacity).toBe(3);
    expect(bank.rows).toBe(6);
    const neg = bank.negatives()!;
    expect(neg.vectors.arraySync()).toEqual([
      [3, 0],
      [0, 3],
      [4, 0],
      [0, 4],
      [5, 0],
      [0, 5],
    ]);
    expect([...neg.logQ.dataSync()]).toEqual([-3, -3.5, -4, -4.5, -5, -5.5]);
    expect([...neg.ids]).toEqual([30, 31, 40, 41, 50, 51]);
    tf.dispose([neg.vectors, neg.logQ]);
    bank.clear();
    expect(bank.size).toBe(0);
    expect(bank.negatives()).toBeNull();
    bank.dispose();
  });

  it("passes no gradient to the pushed source, even when pushed inside the gradient scope", () => {
    const source = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    );
    const q = tf.variable(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    );
    const logQ = tf.tensor1d([-1, -1]);
    const bank = new MemoryBank({ capacity: 2 });
    const leaked = leakedBy(() => {
      const { value, grads } = tf.variableGrads(() => {
        // Item vectors derived from the source variable, pushed mid-forward (worst case).
        const items = tf.mul(source, 2) as tf.Tensor2D;
        bank.push(items, logQ, Int32Array.from([1, 2]));
        const neg = bank.negatives()!;
        return logQSoftmaxLoss({
          q,
          pos: tf.tensor2d([
            [1, 1],
            [1, -1],
          ]),
          logQPos: logQ,
          mbns: neg.vectors,
          logQMbns: neg.logQ,
          alpha: 0.5,
          temperature: 1,
        });
      }, [q, source]);
      expect(grads[source.name]).toBeUndefined();
      expect([...grads[q.name]!.dataSync()].some((x) => Math.abs(x) > 1e-6)).toBe(true);
      return [value, ...Object.values(grads)];
    });
    expect(leaked).toBe(2); // exactly the bank's own copies (vectors + log Q) …
    const held = tf.memory().numTensors;
    bank.dispose();
    expect(tf.memory().numTensors).toBe(held - 2); // … which dispose() releases
    tf.dispose([source, q, logQ]);
  });

  it("keeps the tensor count stable across many pushes and releases everything on dispose", () => {
    const before = tf.memory().numTensors;
    const bank = new MemoryBank({ capacity: 4 });
    let heldAt10 = 0;
    for (let k = 0; k < 50; k++) {
      tf.tidy(() => {
        const b = batch(k);
        bank.push(b.vectors, b.logQ, b.ids);
        const neg = bank.negatives()!;
        expect(neg.vectors.shape[0]).toBe(2 * Math.min(k + 1, 4));
      });
      if (k === 10) heldAt10 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(heldAt10);
    expect(heldAt10 - before).toBe(2 * 4); // vectors + logQ per held batch
    bank.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects a bad capacity and mismatched shapes", () => {
    expect(() => new MemoryBank({ capacity: 0 })).toThrow(TrainError);
    expect(() => new MemoryBank({ capacity: 1.5 })).toThrow(/capacity/);
    const bank = new MemoryBank({ capacity: 2 });
    tf.tidy(() => {
      bank.push(tf.ones([2, 3]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, Int32Array.from([1, 2]));
      expect(() => bank.push(tf.ones([2, 4]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, Int32Array.from([1, 2]))).toThrow(RangeError);
      expect(() => bank.push(tf.ones([2, 3]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D, Int32Array.from([1, 2]))).toThrow(RangeError);
      expect(() => bank.push(tf.ones([2, 3]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, Int32Array.from([1]))).toThrow(RangeError);
    });
    bank.dispose();
  });
});
