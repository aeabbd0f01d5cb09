// Seeded, resumable batches of pair indices. Epoch e's order is a pure function of (seed, e), so
// the position { epoch, cursor } is the whole state: a job resumed from a checkpoint continues with
// exactly the batches an uninterrupted run would have drawn.
import { mix32, mulberry32 } from "../../core/index.ts";
import { TrainError } from "../errors.ts";

/** Where a sampler stands; saved in checkpoints. */
export interface PairSamplerState {
  /** Epoch of the next index. */
  epoch: number;
  /** Position of the next index inside that epoch's order. */
  cursor: number;
  /** Seed the orders derive from. */
  seed: number;
  /** Number of pairs the sampler was made for (a resume against different data fails). */
  n: number;
}

/** How to sample. */
export interface PairSamplerOptions {
  /** Number of pairs (indices 0..n-1). */
  n: number;
  /** Indices per batch; every batch is full (an epoch's tail continues into the next epoch). */
  batchSize: number;
  /** 32-bit seed. */
  seed: number;
  /** Per-pair weights (e.g. clicks): each epoch draws n indices with replacement ∝ weight. Absent: each epoch is a permutation. */
  weights?: ArrayLike<number>;
  /** Position to start from (from state()); default the start of epoch 0. */
  state?: PairSamplerState;
}

/** A stream of batches of pair indices. */
export interface PairSampler extends Iterable<Int32Array> {
  /** Number of pairs. */
  readonly n: number;
  /** Indices per batch. */
  readonly batchSize: number;
  /** Batches that make up one epoch's worth of indices (ceil(n / batchSize)). */
  readonly batchesPerEpoch: number;
  /** The next batch of batchSize indices. */
  next(): Int32Array;
  /** The full order of an epoch (n indices). */
  epochOrder(epoch: number): Int32Array;
  /** Current position. */
  state(): PairSamplerState;
  /** Move to a saved position (in place; returns the sampler); BAD_CHECKPOINT if it was made for other data or seed. */
  fromState(state: PairSamplerState): PairSampler;
}

/** Create a sampler; same options → same batches, on every machine. */
export function createPairSampler(opts: PairSamplerOptions): PairSampler {
  const { n, batchSize } = opts;
  if (!Number.isInteger(n) || n < 1) throw new TrainError("NO_TRAINING_DATA", `the pair sampler needs at least one pair, got n = ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainError("BAD_OPTION", `batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) throw new TrainError("BAD_OPTION", `seed must be an integer in 0..4294967295, got ${opts.seed}`);
  const seed = opts.seed;
  const alias = opts.weights ? buildAlias(opts.weights, n) : null;
  let epoch = 0;
  let cursor = 0;
  let cached: { epoch: number; order: Int32Array } | null = null;

  const epochOrder = (e: number): Int32Array => {
    if (cached?.epoch === e) return cached.order;
    const rand = mulberry32(mix32(seed ^ mix32(e + 0x51ed270b)));
    const order = new Int32Array(n);
    if (alias) {
      for (let i = 0; i < n; i++) {
        const k = Math.floor(rand() * n);
        order[i] = rand() < alias.prob[k]! ? k : alias.alias[k]!;
      }
    } else {
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    cached = { epoch: e, order };
    return order;
  };

  const sampler: PairSampler = {
    n,
    batchSize,
    batchesPerEpoch: Math.ceil(n / batchSize),
    next() {
      const out = new Int32Array(batchSize);
      for (let i = 0; i < batchSize; i++) {
        out[i] = epochOrder(epoch)[cursor]!;
        if (++cursor === n) {
          cursor = 0;
          epoch++;
        }
      }
      return out;
    },
    epochOrder,
    state: () => ({ epoch, cursor, seed, n }),
    fromState(s) {
      if (s.seed !== seed || s.n !== n) {
        throw new TrainError("BAD_CHECKPOINT", `sampler state is for seed ${s.seed} and ${s.n} pairs, this run has seed ${seed} and ${n} pairs: the data or seed changed since the checkpoint`);
      }
      if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.cursor) || s.cursor < 0 || s.cursor >= n) {
        throw new TrainError("BAD_CHECKPOINT", `sampler state position is invalid: epoch ${s.epoch}, cursor ${s.cursor}`);
      }
      epoch = s.epoch;
      cursor = s.cursor;
      return sampler;
    },
    *[Symbol.iterator]() {
      for (;;) yield sampler.next();
    },
  };
  if (opts.state) sampler.fromState(opts.state);
  return sampler;
}

/** Vose's alias table: O(1) draws ∝ weights. */
function buildAlias(weights: ArrayLike<number>, n: number): { prob: Float64Array; alias: Int32Array } {
  if (weights.length !== n) throw new TrainError("BAD_OPTION", `sampler weights has ${weights.length} entries for ${n} pairs`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new TrainError("BAD_OPTION", `sampler weight ${i} is ${w}; weights must be finite and ≥ 0`);
    total += w;
  }
  if (!(total > 0)) throw new TrainError("BAD_OPTION", "sampler weights are all zero");
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (weights[i]! * n) / total;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) (scaled[i]! < 1 ? small : large).push(i);
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  // Leftovers are 1 up to rounding.
  for (const i of [...small, ...large]) {
    prob[i] = 1;
    alias[i] = i;
  }
  return { prob, alias };
}
