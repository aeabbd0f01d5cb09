// The group's shared memory with real worker threads: all-reduce, row exchange and scalars agree
// on every rank; one rank failing aborts the others at the barrier and the run fails with its error.
import { describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { Collective, createCollectiveBuffers } from "./collective.ts";
import type { CollectiveTestInit } from "./test-collective-worker.ts";
import { runWorkerGroup } from "./worker-group.ts";

const ENTRY = new URL("./test-collective-worker.ts", import.meta.url);

describe("Collective over worker threads", () => {
  it("3 workers: every rank gets the mean gradient, every row and every scalar of each step", async () => {
    const buffers = createCollectiveBuffers({ world: 3, gradSize: 5, rows: 3, rowDim: 2, scalars: 1 });
    const steps: unknown[] = [];
    const r = await runWorkerGroup<CollectiveTestInit, { means: number[][]; rows: number[]; losses: number[] }>({
      entry: ENTRY,
      buffers,
      init: (rank) => ({ rank, buffers }),
      onProgress: (p) => steps.push(p),
    });
    // Mean over r = 0..2 of (r + 1)(i + 1) + s = 2(i + 1) + s.
    expect(r.means).toEqual([0, 1, 2].map((s) => [1, 2, 3, 4, 5].map((i) => 2 * i + s)));
    expect(r.rows).toEqual([2, 3, 12, 13, 22, 23]); // step 2: rank r's row is (10r + 2, 10r + 3)
    expect(r.losses).toEqual([2, 3, 4]);
    expect(steps).toHaveLength(9); // every rank posted each step
  }, 120_000);

  it("a failing worker aborts the group: the run rejects with its TrainError, nobody hangs", async () => {
    const buffers = createCollectiveBuffers({ world: 2, gradSize: 4, rows: 2, rowDim: 1, scalars: 1 });
    const run = runWorkerGroup({ entry: ENTRY, buffers, init: (rank): CollectiveTestInit => ({ rank, buffers, ...(rank === 1 ? { failAt: 1 } : {}) }) });
    await expect(run).rejects.toThrow(TrainError);
    await expect(run).rejects.toThrow(/rank 1 failed at step 1/);
  }, 120_000);

  it("a progress callback that throws fails the run with its error and stops the workers", async () => {
    const buffers = createCollectiveBuffers({ world: 2, gradSize: 4, rows: 2, rowDim: 1, scalars: 1 });
    const run = runWorkerGroup({
      entry: ENTRY,
      buffers,
      init: (rank): CollectiveTestInit => ({ rank, buffers }),
      onProgress: () => {
        throw new Error("job cancelled");
      },
    });
    await expect(run).rejects.toThrow("job cancelled");
  }, 120_000);

  it("checks ranks and sizes", () => {
    const buffers = createCollectiveBuffers({ world: 2, gradSize: 4, rows: 2, rowDim: 3, scalars: 2 });
    expect(() => new Collective(buffers, 2)).toThrow(RangeError);
    const c = new Collective(buffers, 0);
    expect(() => c.writeRows(0, 1, new Float32Array(6))).toThrow(/do not fit/);
    expect(() => c.writeScalars(0, [1])).toThrow(/expected 2/);
    expect(() => createCollectiveBuffers({ world: 0, gradSize: 1, rows: 1, rowDim: 1, scalars: 1 })).toThrow(TrainError);
  });

  it("shared Adam state: the ranks' parameter ranges tile the vector; absent unless asked for", () => {
    const shared = createCollectiveBuffers({ world: 3, gradSize: 10, rows: 3, rowDim: 1, scalars: 1, sharedAdam: true });
    const ranges = [0, 1, 2].map((r) => new Collective(shared, r).paramRange());
    expect(ranges).toEqual([
      { lo: 0, hi: 3 },
      { lo: 3, hi: 6 },
      { lo: 6, hi: 10 },
    ]);
    const a = new Collective(shared, 0).adamState();
    const b = new Collective(shared, 2).adamState();
    b.weights[9] = 4; // every rank sees the same memory
    expect(a.weights[9]).toBe(4);
    expect([a.m.length, a.v.length, a.weights.length]).toEqual([10, 10, 10]);
    const plain = createCollectiveBuffers({ world: 2, gradSize: 10, rows: 2, rowDim: 1, scalars: 1 });
    expect(plain.adam.byteLength).toBe(0);
    expect(() => new Collective(plain, 0).adamState()).toThrow(/without sharedAdam/);
  });
});
