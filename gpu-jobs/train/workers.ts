// How many data-parallel workers a training run gets, and the data they share (pre-training and
// fine-tuning alike; train/worker-group.ts starts them).
import { availableParallelism } from "node:os";
import { TrainError } from "../errors.ts";
import type { BackendName } from "../tf/backend.ts";

/**
 * Workers when none is asked for: one per core on wasm and cpu (each runs one thread), capped so
 * that every shard keeps ≥ 4 rows; one on tfjs-node(-gpu), which already uses every core (or the
 * GPU) from one thread.
 */
export function defaultWorkers(backend: BackendName, batchSize: number, cores = availableParallelism()): number {
  if (backend === "node" || backend === "node-gpu") return 1;
  return Math.max(1, Math.min(cores, Math.floor(batchSize / 4)));
}

/** The run's workers: the one asked for, else (on resume) the checkpoint's, else `fallback`; another than the checkpoint's is logged. */
export function chooseWorkers(asked: number | undefined, saved: number | undefined, fallback: number, batchSize: number, log: (m: string) => void): number {
  if (asked === undefined) return saved ?? fallback;
  if (!Number.isInteger(asked) || asked < 1 || asked > batchSize) {
    throw new TrainError("BAD_OPTION", `workers must be a whole number from 1 to the batch size (${batchSize}); got ${asked}`);
  }
  if (saved !== undefined && saved !== asked) log(`the checkpoint was written by ${saved} worker(s); continuing on ${asked}: the rest of the run differs from an uninterrupted ${saved}-worker run`);
  return asked;
}

type TypedArray = Uint8Array | Float32Array | Int32Array;

/** A copy of `value` whose typed arrays (at any depth of plain objects) live in shared memory: posted to workers, they are shared, not copied. */
export function shareTypedArrays<T>(value: T): T {
  const share = (v: unknown): unknown => {
    if (v instanceof Uint8Array || v instanceof Float32Array || v instanceof Int32Array) {
      const out = new (v.constructor as new (b: SharedArrayBuffer) => TypedArray)(new SharedArrayBuffer(v.byteLength));
      out.set(v);
      return out;
    }
    if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Map)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, share(x)]));
    return v;
  };
  return share(value) as T;
}
