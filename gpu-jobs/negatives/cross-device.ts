// Cross-Device Negative Sampling (CDNS), seed 001 §2.2: in data-parallel training each device
// gathers the product embeddings of all other devices and uses them as extra negatives, without
// gradient. Here one process stands in for D devices: the batch is split into D contiguous
// micro-batches ("replicas"), each micro-batch's loss uses its own in-batch negatives plus the
// other micro-batches' item vectors as CDNS negatives (weight β in eq. 3), cut from the tape
// exactly as an all-gather across real devices would be.
import * as tf from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";
import { stopGradient } from "../losses/stop-gradient.ts";

/** Rows [start, end) of one replica's micro-batch. */
export interface ReplicaRange {
  /** First row (inclusive). */
  start: number;
  /** Row after the last (exclusive). */
  end: number;
}

/** Split batchSize rows into `replicas` contiguous ranges whose sizes differ by at most one. */
export function splitReplicas(batchSize: number, replicas: number): ReplicaRange[] {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TrainError("BAD_OPTION", `CDNS replicas must be an integer >= 1; got ${replicas}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < replicas) {
    throw new TrainError("BAD_OPTION", `batch size ${batchSize} cannot be split over ${replicas} replicas (need >= 1 row each)`);
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

/** The other replicas' rows of x ([B,…], e.g. item vectors [B,D] or log Q [B]), gradient cut. */
export function crossDeviceNegatives<T extends tf.Tensor>(x: T, replica: number, ranges: readonly ReplicaRange[]): T {
  checkReplica(replica, ranges);
  const total = ranges[ranges.length - 1]!.end;
  if (x.shape[0] !== total) throw new RangeError(`x has ${x.shape[0]} rows; the replica ranges cover ${total}`);
  return tf.tidy(() => {
    const parts = ranges.filter((_, r) => r !== replica).map(({ start, end }) => tf.slice(x, start, end - start));
    return stopGradient(parts.length === 1 ? parts[0]! : tf.concat(parts)) as T;
  });
}

/** The other replicas' entries of a per-row id array (same order as crossDeviceNegatives). */
export function crossDeviceIds(ids: Int32Array, replica: number, ranges: readonly ReplicaRange[]): Int32Array {
  checkReplica(replica, ranges);
  const out: number[] = [];
  ranges.forEach(({ start, end }, r) => {
    if (r !== replica) for (let i = start; i < end; i++) out.push(ids[i]!);
  });
  return Int32Array.from(out);
}

/** This replica's own rows of x (its micro-batch), gradient kept. */
export function replicaRows<T extends tf.Tensor>(x: T, replica: number, ranges: readonly ReplicaRange[]): T {
  checkReplica(replica, ranges);
  const { start, end } = ranges[replica]!;
  return tf.slice(x, start, end - start) as T;
}

function checkReplica(replica: number, ranges: readonly ReplicaRange[]): void {
  if (ranges.length < 2) throw new RangeError(`CDNS needs >= 2 replicas; got ${ranges.length}`);
  if (!Number.isInteger(replica) || replica < 0 || replica >= ranges.length) {
    throw new RangeError(`replica must be in [0, ${ranges.length - 1}]; got ${replica}`);
  }
}
