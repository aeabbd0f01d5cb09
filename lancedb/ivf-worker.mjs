// One thread of the parallel IVF row pass (ivf-workers.ts starts it and documents the messages).
// Plain JavaScript so that it starts without a TypeScript loader (a worker does not inherit the
// parent's tsx registration): it runs core's compiled SIMD kernel, posted in workerData, on a small
// memory of its own holding the centroids, one chunk of rows and the chunk's nearest centroids.
// Codes are Math.round(x · scale), exactly as core/simd/ivf-index.ts's oneThreadRowPass writes them.
import { parentPort, workerData } from "node:worker_threads";

const { module, dim, lists, cents, chunkRows } = workerData;
const align = (x) => Math.ceil(x / 64) * 64;
const rowsAt = align(lists * dim * 4);
const outAt = align(rowsAt + chunkRows * dim * 4);
const pages = Math.ceil((outAt + chunkRows * 4) / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports;
new Float32Array(memory.buffer, 0, lists * dim).set(cents);

parentPort.on("message", ({ base, rows, scale, nearest }) => {
  const m = rows.length / dim;
  let listOf = null;
  if (nearest) {
    new Float32Array(memory.buffer, rowsAt, rows.length).set(rows);
    kernel.nearest(rowsAt, m, 0, lists, dim, outAt);
    listOf = new Int32Array(memory.buffer, outAt, m).slice();
  }
  const codes = new Int8Array(rows.length);
  for (let i = 0; i < rows.length; i++) codes[i] = Math.round(rows[i] * scale);
  parentPort.postMessage({ base, listOf, codes }, listOf ? [listOf.buffer, codes.buffer] : [codes.buffer]);
});
