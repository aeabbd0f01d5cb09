// The IVF build's pass over every row (core's IvfRowPass: each row's nearest centroid, n × lists ×
// dim multiply-adds, and its int8 codes) split over worker threads, for publish and for a server
// loading a release while it serves: the main thread only copies chunks of rows out and the results
// back in, so it stays free between chunks. The kernel's memory is not shared, so each worker runs
// the kernel on a memory of its own (ivf-worker.mjs): a chunk's rows are copied out (a transferred
// buffer) and its nearest centroids and codes come back the same way. Chunks go to whichever worker
// is free (a busy core gets fewer), two in flight per worker so none waits on the main thread. The
// result is the one-thread pass's bit for bit: the kernel's nearest is deterministic per row.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type IvfRowPass, oneThreadRowPass, type VectorKernel, vectorKernelModule } from "../core/index.ts";
import { StoreError } from "./errors.ts";

/** Options of ivfWorkerPass. */
export interface IvfWorkerOptions {
  /** Worker threads (default: the machine's available parallelism; 1 runs the pass on this thread). */
  workers?: number;
  /** Fewer rows than this stay on this thread, where starting workers costs more than they save (default IVF_WORKER_MIN_ROWS). */
  minRows?: number;
  /** Rows per chunk sent to a worker (default IVF_WORKER_CHUNK_ROWS): bounds the copies in flight and the main thread's time per copy. */
  chunkRows?: number;
}

/** Below this many rows the pass stays on one thread: on 16 idle cores workers started to pay at ~100k rows (1.12× with 2 at 100k, 0.84× at 50k; `npm run bench -- ivf-build`). */
export const IVF_WORKER_MIN_ROWS = 100_000;
/** Rows per chunk: 8 MiB of 128-d float32 rows, a few milliseconds of copying on the main thread. */
export const IVF_WORKER_CHUNK_ROWS = 16_384;

/** Test seams: another worker module, and each worker as it starts. */
export interface IvfWorkerInternals {
  /** The worker module (default ivf-worker.mjs). */
  entry?: URL;
  /** Called with each worker as it starts. */
  onWorker?: (worker: Worker) => void;
}

const ENTRY = new URL("./ivf-worker.mjs", import.meta.url);

/** The row pass for buildIvfIndex / restoreIvfIndex on worker threads where there is more than one core and enough rows; else oneThreadRowPass. */
export function ivfWorkerPass(opts: IvfWorkerOptions = {}, internals: IvfWorkerInternals = {}): IvfRowPass {
  const workers = opts.workers ?? availableParallelism();
  const minRows = opts.minRows ?? IVF_WORKER_MIN_ROWS;
  const chunkRows = opts.chunkRows ?? IVF_WORKER_CHUNK_ROWS;
  const whole = (name: string, x: number, min: number, fix: string) => {
    if (!Number.isInteger(x) || x < min) throw new StoreError("BAD_OPTION", `IVF build option ${name}: ${x} — use a whole number ≥ ${min} (${fix})`);
  };
  whole("workers", workers, 1, "1 builds on this thread");
  whole("minRows", minRows, 0, "0 always uses workers");
  whole("chunkRows", chunkRows, 1, `default ${IVF_WORKER_CHUNK_ROWS}`);
  return (kernel, scale, nearest) =>
    workers <= 1 || kernel.n < Math.max(minRows, 2) ? oneThreadRowPass(kernel, scale, nearest) : passOnWorkers(kernel, scale, nearest, workers, chunkRows, internals);
}

/** What the main thread posts to a worker: one chunk of rows (its buffer transferred). */
interface ChunkJob {
  base: number;
  rows: Float32Array;
  scale: number;
  nearest: boolean;
}
/** What a worker posts back (buffers transferred). */
interface ChunkResult {
  base: number;
  listOf: Int32Array | null;
  codes: Int8Array;
}

function passOnWorkers(kernel: VectorKernel, scale: number, nearest: boolean, workers: number, chunkRows: number, internals: IvfWorkerInternals): Promise<Int32Array | null> {
  const { n, dim } = kernel;
  const lists = nearest ? kernel.lists : 0;
  // An even split when it is smaller than a chunk (every worker gets work on small inputs).
  const chunk = Math.min(chunkRows, Math.ceil(n / workers));
  const chunks = Math.ceil(n / chunk);
  const threads = Math.min(workers, chunks);
  const cents = new Float32Array(kernel.memory.buffer, kernel.at.cents, lists * dim).slice();
  const codes = new Int8Array(kernel.memory.buffer, kernel.at.codes, n * dim);
  const listOf = nearest ? new Int32Array(n) : null;
  const module = vectorKernelModule();
  return new Promise((resolve, reject) => {
    const started: Worker[] = [];
    let sent = 0;
    let received = 0;
    let settled = false;
    // Every worker is terminated (and has exited) before the pass settles: no thread outlives it.
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      void Promise.allSettled(started.map((w) => w.terminate())).then(() => (err ? reject(err) : resolve(listOf)));
    };
    const send = (w: Worker) => {
      if (sent >= chunks) return;
      const base = sent++ * chunk;
      const rows = kernel.vectors.slice(base * dim, Math.min(n, base + chunk) * dim);
      const job: ChunkJob = { base, rows, scale, nearest };
      w.postMessage(job, [rows.buffer]);
    };
    for (let t = 0; t < threads; t++) {
      const label = `IVF index build: worker ${t + 1} of ${threads}`;
      let w: Worker;
      try {
        w = new Worker(internals.entry ?? ENTRY, { workerData: { module, dim, lists, cents, chunkRows: chunk } });
      } catch (err) {
        finish(new Error(`${label} did not start: ${(err as Error).message}`, { cause: err }));
        return;
      }
      started.push(w);
      internals.onWorker?.(w);
      w.on("message", (m: ChunkResult) => {
        if (settled) return;
        if (nearest && m.listOf?.length !== m.codes.length / dim) return finish(new Error(`${label} answered chunk ${m.base} without its nearest centroids`));
        codes.set(m.codes, m.base * dim);
        if (listOf && m.listOf) listOf.set(m.listOf, m.base);
        if (++received === chunks) finish(null);
        else send(w);
      });
      w.on("error", (err) => finish(new Error(`${label} failed: ${err.message}`, { cause: err })));
      w.on("exit", (code) => finish(new Error(`${label} exited (code ${code}) before the pass was done`)));
      send(w);
      send(w);
    }
  });
}
