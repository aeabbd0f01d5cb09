// Cross-Device Negative Sampling (CDNS), seed 001 §2.2: in data-parallel training each device
// gathers the item vectors every other device computed for the same step and uses them as extra
// negatives, without gradient (weight β in eq. 3). Here the devices are the training workers
// (train/pretrain-worker.ts): the global batch is split into contiguous shards, one per worker,
// and after its item-tower forward each worker posts its shard's vectors through shared memory
// (train/collective.ts) and reads everyone else's. With one worker there is no other device, and
// every item of the batch is already an in-batch negative with its gradient: CDNS adds nothing.
import * as tf from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";

/** Rows [start, end) of one worker's shard of the global batch. */
export interface ReplicaRange {
  /** First row (inclusive). */
  start: number;
  /** Row after the last (exclusive). */
  end: number;
}

/** The other workers' item vectors of this step, with what eq. 3 needs of each. Constants: no gradient path to any variable. */
export interface CrossDeviceNegatives {
  /** Item vectors [C,D], in rank order. */
  vectors: tf.Tensor2D;
  /** log Q of each [C]. */
  logQ: tf.Tensor1D;
  /** Catalog row of each (masks a copy of a query's own positive). */
  ids: Int32Array;
}

/** Split batchSize rows into `replicas` contiguous ranges whose sizes differ by at most one. */
export function splitReplicas(batchSize: number, replicas: number): ReplicaRange[] {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TrainError("BAD_OPTION", `workers must be an integer >= 1; got ${replicas}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < replicas) {
    throw new TrainError("BAD_OPTION", `batch size ${batchSize} cannot be split over ${replicas} workers (need >= 1 row each); lower --workers or raise --batch-size`);
  }
  const base = Math.floor(batchSize / replicas);
  const extra = batchSize % replicas;
  const ranges: ReplicaRange[] = [];
  let start = 0;
  for (let r = 0; r < replicas; r++) {
    const end = start + base + (r < extra ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}

/** The other replicas' entries of a per-row array of the global batch (rank order). */
export function crossDeviceIds(ids: Int32Array, replica: number, ranges: readonly ReplicaRange[]): Int32Array {
  checkReplica(replica, ranges);
  const out: number[] = [];
  ranges.forEach(({ start, end }, r) => {
    if (r !== replica) for (let i = start; i < end; i++) out.push(ids[i]!);
  });
  return Int32Array.from(out);
}

/**
 * CDNS negatives of worker `replica` from every worker's item vectors of the step: `gathered` is
 * [B·dim], row i the vector of global batch row i (catalog row `items[i]`); `logQ` is per catalog row.
 */
export function crossDeviceNegatives(gathered: Float32Array, dim: number, items: Int32Array, logQ: Float32Array, replica: number, ranges: readonly ReplicaRange[]): CrossDeviceNegatives {
  checkReplica(replica, ranges);
  const total = ranges[ranges.length - 1]!.end;
  if (gathered.length !== total * dim) throw new RangeError(`gathered holds ${gathered.length} floats; ${total} rows of ${dim} expected`);
  if (items.length !== total) throw new RangeError(`items has ${items.length} rows; the ranges cover ${total}`);
  const ids = crossDeviceIds(items, replica, ranges);
  const values = new Float32Array(ids.length * dim);
  let at = 0;
  ranges.forEach(({ start, end }, r) => {
    if (r === replica) return;
    values.set(gathered.subarray(start * dim, end * dim), at);
    at += (end - start) * dim;
  });
  // Made from host values, the tensors have no tape history: they are constants by construction.
  return { vectors: tf.tensor2d(values, [ids.length, dim]), logQ: tf.tensor1d(Float32Array.from(ids, (r) => logQ[r]!)), ids };
}

function checkReplica(replica: number, ranges: readonly ReplicaRange[]): void {
  if (ranges.length < 2) throw new RangeError(`CDNS needs >= 2 workers; got ${ranges.length}`);
  if (!Number.isInteger(replica) || replica < 0 || replica >= ranges.length) {
    throw new RangeError(`replica must be in [0, ${ranges.length - 1}]; got ${replica}`);
  }
}
