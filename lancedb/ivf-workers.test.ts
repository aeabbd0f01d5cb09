import type { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { buildIvfIndex, ivfLayoutOf, mulberry32, restoreIvfIndex, VectorKernel } from "../core/index.ts";
import { ivfWorkerPass } from "./ivf-workers.ts";

const N = 5_000,
  DIM = 32,
  LISTS = 16;

// Clustered rows (so the lists differ in length) in a fresh kernel; the same seed gives the same rows.
function kernelOf(seed: number, n = N): VectorKernel {
  const r = mulberry32(seed);
  const centres = Array.from({ length: 40 }, () => Float32Array.from({ length: DIM }, () => r() * 2 - 1));
  const k = new VectorKernel({ n, dim: DIM, lists: LISTS });
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)]!;
    for (let j = 0; j < DIM; j++) k.vectors[i * DIM + j] = c[j]! + 0.3 * (r() - 0.5);
  }
  return k;
}

// Everything the index holds: lists, their order, the codes in list order and the centroids.
function snapshot(k: VectorKernel, ivf: { start: Uint32Array; order: Uint32Array }) {
  return {
    start: ivf.start.slice(),
    order: ivf.order.slice(),
    codes: new Int8Array(k.memory.buffer, k.at.codes, k.n * DIM).slice(),
    cents: new Float32Array(k.memory.buffer, k.at.cents, LISTS * DIM).slice(),
  };
}
type Snapshot = ReturnType<typeof snapshot>;

// Where two snapshots first differ ("" when they are the same bit for bit): a failure names the
// first mismatch instead of diffing 160k-element arrays.
function firstDiff(a: Snapshot, b: Snapshot): string {
  for (const key of ["start", "order", "codes", "cents"] as const) {
    const x = new Uint8Array(a[key].buffer),
      y = new Uint8Array(b[key].buffer);
    if (x.length !== y.length) return `${key}: ${x.length} vs ${y.length} bytes`;
    const i = x.findIndex((v, j) => v !== y[j]);
    if (i >= 0) return `${key}: first differs at element ${Math.floor(i / a[key].BYTES_PER_ELEMENT)}`;
  }
  return "";
}

// A pass whose every worker is recorded, to check that none outlives the build (threadId is -1 once a worker has stopped).
function recorded(opts: Parameters<typeof ivfWorkerPass>[0], entry?: string) {
  const workers: Worker[] = [];
  const rowPass = ivfWorkerPass(opts, { ...(entry ? { entry: new URL(entry, import.meta.url) } : {}), onWorker: (w) => workers.push(w) });
  return { rowPass, workers, alive: () => workers.filter((w) => w.threadId !== -1).length };
}

describe("the IVF build on worker threads", () => {
  it("builds the one-thread index bit for bit (lists, order, codes, centroids) with 1, 2 and 3 workers and an odd split", async () => {
    const k1 = kernelOf(5);
    const one = snapshot(k1, await buildIvfIndex(k1, { seed: 3 }));
    expect(new Set(Array.from(one.start.subarray(1), (e, l) => e - one.start[l]!)).size).toBeGreaterThan(1); // lists of several lengths
    for (const [workers, chunkRows] of [
      [1, 1000],
      [2, 16_384],
      [3, 777],
    ] as const) {
      const k = kernelOf(5);
      const pass = recorded({ workers, chunkRows, minRows: 0 });
      const got = snapshot(k, await buildIvfIndex(k, { seed: 3, rowPass: pass.rowPass }));
      expect(pass.workers).toHaveLength(workers === 1 ? 0 : workers); // 1: on this thread
      expect(pass.alive()).toBe(0);
      expect(firstDiff(got, one)).toBe("");
    }
  });

  it("restores a stored layout with the same codes, and searches the same", async () => {
    const k = kernelOf(8);
    const built = await buildIvfIndex(k);
    const want = snapshot(k, built);
    const fresh = kernelOf(8);
    const pass = recorded({ workers: 2, chunkRows: 1234, minRows: 0 });
    const restored = await restoreIvfIndex(fresh, ivfLayoutOf(built, k), { rowPass: pass.rowPass });
    expect(pass.workers).toHaveLength(2);
    expect(pass.alive()).toBe(0);
    expect(firstDiff(snapshot(fresh, restored), want)).toBe("");
    const q = k.vectors.slice(17 * DIM, 18 * DIM);
    expect(restored.search(q, 20, null)).toEqual(built.search(q, 20, null));
  });

  it("stays on this thread below minRows, and gives every worker work when rows are few", async () => {
    const small = recorded({ workers: 2 });
    const k = kernelOf(2, 600);
    await buildIvfIndex(k, { rowPass: small.rowPass });
    expect(small.workers).toHaveLength(0);
    // 5 rows over 3 workers: chunks of 2, 2, 1.
    const tiny = recorded({ workers: 3, minRows: 0 });
    const t = kernelOf(2, 5);
    const one = kernelOf(2, 5);
    new Float32Array(t.memory.buffer, t.at.cents, LISTS * DIM).set(t.vectors.slice(0, LISTS * DIM).fill(0.5, 0, DIM));
    new Float32Array(one.memory.buffer, one.at.cents, LISTS * DIM).set(t.vectors.slice(0, LISTS * DIM).fill(0.5, 0, DIM));
    const listOf = await tiny.rowPass(t, 10, true);
    expect(listOf).toEqual(await ivfWorkerPass({ workers: 1 })(one, 10, true));
    expect(tiny.workers).toHaveLength(3);
    expect([...new Int8Array(t.memory.buffer, t.at.codes, 5 * DIM)]).toEqual([...new Int8Array(one.memory.buffer, one.at.codes, 5 * DIM)]);
  });

  it("rejects the build with the worker's error when a worker throws, and stops every worker", async () => {
    const pass = recorded({ workers: 2, chunkRows: 500, minRows: 0 }, "./test-support/ivf-worker-throws.mjs");
    await expect(buildIvfIndex(kernelOf(1), { rowPass: pass.rowPass })).rejects.toThrow(/^IVF index build: worker [12] of 2 failed: refusing the chunk at row \d+$/);
    expect(pass.workers).toHaveLength(2);
    expect(pass.alive()).toBe(0);
  });

  it("rejects the build when a worker exits before answering, and stops every worker", async () => {
    const k = kernelOf(1);
    const layout = ivfLayoutOf(await buildIvfIndex(k), k);
    const pass = recorded({ workers: 3, minRows: 0 }, "./test-support/ivf-worker-exits.mjs");
    await expect(restoreIvfIndex(kernelOf(1), layout, { rowPass: pass.rowPass })).rejects.toThrow(/^IVF index build: worker [123] of 3 exited \(code 3\) before the pass was done$/);
    expect(pass.alive()).toBe(0);
  });

  it("names the option and the fix for a bad worker count or chunk size", () => {
    expect(() => ivfWorkerPass({ workers: 0 })).toThrow(/IVF build option workers: 0 — use a whole number ≥ 1 \(1 builds on this thread\)/);
    expect(() => ivfWorkerPass({ workers: 1.5 })).toThrow(/option workers: 1.5/);
    expect(() => ivfWorkerPass({ chunkRows: 0 })).toThrow(/option chunkRows: 0/);
    expect(() => ivfWorkerPass({ minRows: -1 })).toThrow(/option minRows: -1/);
  });
});
