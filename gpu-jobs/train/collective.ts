// The shared memory of a data-parallel training group (worker_threads, one TF.js backend each):
// a barrier, the all-reduce of the step's flat gradient, the exchange of the step's item vectors
// (CDNS negatives and the memory bank), and per-worker scalars (losses). All in SharedArrayBuffers
// the coordinator allocates once; Atomics make the barrier.
//
// All-reduce: each worker writes its flat gradient into its own slot, waits at the barrier, then
// sums every slot in rank order itself. Every worker therefore holds bit-identical averaged
// gradients and applies them with its own replica of the optimizer: no weight broadcast, and the
// replicas stay identical step after step (wasm arithmetic is deterministic).
//
// Optimizer (pre-training): the weights and Adam's moments live in shared memory too, and each
// worker updates only its own range of them (train/flat-adam.ts), then waits at a second barrier
// and loads every range into its replica: the update is split instead of repeated (ZeRO-1 style).
//
// Each buffer exists twice and step t uses copy t mod 2: a worker that runs ahead writes step
// t+1's copy while a slower one still reads step t's. It cannot get two steps ahead, because step
// t+1's barrier waits for the slow worker, which has finished reading step t by then.
import { TrainError } from "../errors.ts";
import type { FlatAdamState } from "./flat-adam.ts";

/** The shared buffers of one group; made by the coordinator, posted to every worker. */
export interface CollectiveBuffers {
  /** Workers in the group. */
  world: number;
  /** Floats in one worker's flat gradient. */
  gradSize: number;
  /** Rows the exchange holds per step (the global batch). */
  rows: number;
  /** Floats per exchanged row (the item vector dimension). */
  rowDim: number;
  /** float64 scalars each worker posts per step. */
  scalars: number;
  /** int32 words: arrived, generation, aborted. */
  control: SharedArrayBuffer;
  /** float32 [2, world, gradSize]. */
  grads: SharedArrayBuffer;
  /** float32 [2, rows, rowDim]: each worker writes its own rows of the global batch. */
  exchange: SharedArrayBuffer;
  /** float64 [2, world, scalars]. */
  scalarSlots: SharedArrayBuffer;
  /** float32 [3, gradSize]: Adam's first and second moments and the weights (empty without sharedAdam). */
  adam: SharedArrayBuffer;
}

/** Sizes of a group's buffers. */
export interface CollectiveSizes {
  /** Workers (≥ 1). */
  world: number;
  /** Floats in the flat gradient (every trained variable). */
  gradSize: number;
  /** Rows exchanged per step (the global batch size). */
  rows: number;
  /** Floats per row. */
  rowDim: number;
  /** Scalars per worker per step. */
  scalars: number;
  /** Hold the weights and Adam's moments in shared memory, each worker updating its paramRange (default false). */
  sharedAdam?: boolean;
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;

/** Allocate a group's shared buffers. */
export function createCollectiveBuffers(s: CollectiveSizes): CollectiveBuffers {
  if (!Number.isInteger(s.world) || s.world < 1) throw new TrainError("BAD_OPTION", `workers must be an integer >= 1; got ${s.world}`);
  const { sharedAdam, ...sizes } = s;
  return {
    ...sizes,
    adam: new SharedArrayBuffer(sharedAdam ? 3 * s.gradSize * 4 : 0),
    control: new SharedArrayBuffer(3 * 4),
    grads: new SharedArrayBuffer(2 * s.world * s.gradSize * 4),
    exchange: new SharedArrayBuffer(2 * s.rows * s.rowDim * 4),
    scalarSlots: new SharedArrayBuffer(2 * s.world * s.scalars * 8),
  };
}

/** Make every worker waiting at (or next arriving at) the barrier throw: one worker failed. */
export function abortGroup(buffers: CollectiveBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORTED, 1);
  Atomics.notify(control, GENERATION);
}

/** The error a worker throws when the group was aborted (another worker failed first). */
export class GroupAborted extends Error {
  override readonly name = "GroupAborted";
  constructor() {
    super("another training worker failed; this one stops");
  }
}

/**
 * Write gradients into `slot`, variable by variable in `vars`' order (the flat layout every worker
 * and FlatAdam share); a variable without a gradient this step gets zeros. `read` gives a
 * gradient's values (the caller's tensor library stays out of this module).
 */
export function packGradients(slot: Float32Array, vars: readonly { name: string; size: number }[], read: (name: string) => Float32Array | null): void {
  let at = 0;
  for (const v of vars) {
    const g = read(v.name);
    if (g) slot.set(g, at);
    else slot.fill(0, at, at + v.size);
    at += v.size;
  }
}

/** One worker's handle on the group's buffers. */
export class Collective {
  /** Workers in the group. */
  readonly world: number;
  /** Milliseconds this worker has spent blocked at barriers (waiting for the others), in all. */
  waitedMs = 0;
  private readonly control: Int32Array;
  private readonly grads: Float32Array;
  private readonly exchange: Float32Array;
  private readonly scalarSlots: Float64Array;
  private mean: Float32Array | null = null;

  constructor(
    private readonly buffers: CollectiveBuffers,
    /** This worker's rank, 0 … world−1. */
    readonly rank: number,
  ) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= buffers.world) throw new RangeError(`rank must be in [0, ${buffers.world - 1}]; got ${rank}`);
    this.world = buffers.world;
    this.control = new Int32Array(buffers.control);
    this.grads = new Float32Array(buffers.grads);
    this.exchange = new Float32Array(buffers.exchange);
    this.scalarSlots = new Float64Array(buffers.scalarSlots);
  }

  /** Wait until every worker has arrived; throws GroupAborted when the group was aborted. */
  barrier(): void {
    const c = this.control;
    if (Atomics.load(c, ABORTED)) throw new GroupAborted();
    // Read the generation before arriving: it cannot move on until this worker has arrived.
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.world - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const t0 = performance.now();
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.load(c, ABORTED)) throw new GroupAborted();
      Atomics.wait(c, GENERATION, generation, 1_000);
    }
    this.waitedMs += performance.now() - t0;
  }

  /** This worker's share [lo, hi) of the flat parameters: the range of the shared weights and moments its optimizer updates. */
  paramRange(): { lo: number; hi: number } {
    const n = this.buffers.gradSize;
    return { lo: Math.floor((this.rank * n) / this.world), hi: Math.floor(((this.rank + 1) * n) / this.world) };
  }

  /** The shared weights and Adam moments (createCollectiveBuffers with sharedAdam). */
  adamState(): FlatAdamState {
    const n = this.buffers.gradSize;
    if (this.buffers.adam.byteLength !== 3 * n * 4) throw new Error("adamState: the group's buffers were made without sharedAdam");
    return { m: new Float32Array(this.buffers.adam, 0, n), v: new Float32Array(this.buffers.adam, n * 4, n), weights: new Float32Array(this.buffers.adam, 2 * n * 4, n) };
  }

  /** This worker's gradient slot of step `step` (write the flat gradient here, then allReduceMean). */
  gradSlot(step: number): Float32Array {
    const n = this.buffers.gradSize;
    return this.grads.subarray(((step % 2) * this.world + this.rank) * n, ((step % 2) * this.world + this.rank + 1) * n);
  }

  /** Write this worker's gradients of step `step` into its slot (packGradients). */
  writeGradients(step: number, vars: readonly { name: string; size: number }[], read: (name: string) => Float32Array | null): void {
    packGradients(this.gradSlot(step), vars, read);
  }

  /**
   * After every worker filled its gradSlot(step): barrier, then the mean of all slots summed in rank
   * order (the same bits on every worker). The array is reused: valid until the next call.
   */
  allReduceMean(step: number): Float32Array {
    this.barrier();
    const n = this.buffers.gradSize;
    const base = (step % 2) * this.world * n;
    this.mean ??= new Float32Array(n);
    const out = this.mean;
    const g = this.grads;
    if (this.world === 2) {
      // The common case without the inner loop.
      for (let i = 0; i < n; i++) out[i] = (g[base + i]! + g[base + n + i]!) / 2;
      return out;
    }
    const acc = new Float64Array(n);
    for (let r = 0; r < this.world; r++) {
      const o = base + r * n;
      for (let i = 0; i < n; i++) acc[i]! += g[o + i]!;
    }
    for (let i = 0; i < n; i++) out[i] = acc[i]! / this.world;
    return out;
  }

  /** Write this worker's rows (its part of the global batch, from row `firstRow`) into step `step`'s exchange. */
  writeRows(step: number, firstRow: number, values: Float32Array): void {
    const d = this.buffers.rowDim;
    if (values.length % d !== 0 || firstRow * d + values.length > this.buffers.rows * d) {
      throw new RangeError(`writeRows: ${values.length} floats from row ${firstRow} do not fit ${this.buffers.rows} rows of ${d}`);
    }
    this.exchange.set(values, (step % 2) * this.buffers.rows * d + firstRow * d);
  }

  /** Every worker's rows of step `step` ([rows, rowDim], a copy); call after a barrier that follows every writeRows. */
  readRows(step: number): Float32Array {
    const size = this.buffers.rows * this.buffers.rowDim;
    return this.exchange.slice((step % 2) * size, ((step % 2) + 1) * size);
  }

  /** Post this worker's scalars of step `step` (read by readScalars after the next barrier). */
  writeScalars(step: number, values: ArrayLike<number>): void {
    const k = this.buffers.scalars;
    if (values.length !== k) throw new RangeError(`writeScalars: expected ${k} values, got ${values.length}`);
    this.scalarSlots.set(values, ((step % 2) * this.world + this.rank) * k);
  }

  /** Every worker's scalars of step `step`, by rank. */
  readScalars(step: number): Float64Array[] {
    const k = this.buffers.scalars;
    return Array.from({ length: this.world }, (_, r) => this.scalarSlots.slice(((step % 2) * this.world + r) * k, ((step % 2) * this.world + r + 1) * k));
  }
}
