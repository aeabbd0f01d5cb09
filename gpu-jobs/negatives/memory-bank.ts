// Memory Bank Negative Sampling (MBNS), seed 001 §2.2: a first-in-first-out queue of the last M
// mini-batches' item vectors. At the end of each step the current batch is pushed and the oldest
// one dropped; the whole queue serves as negatives, without back-propagation and without MoCo's
// momentum encoder. Each entry keeps its log Q (for eq. 3's correction) and item ids (to mask a
// bank copy of the row's own positive).
import * as tf from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";
import { requireLength, requireShape } from "../losses/checks.ts";
import { stopGradient } from "../losses/stop-gradient.ts";

/** Memory-bank options. */
export interface MemoryBankOptions {
  /** M: how many past batches the queue holds (integer ≥ 1). */
  capacity: number;
}

/** The bank's negatives, oldest batch first; the tensors are new and owned by the caller. */
export interface BankNegatives {
  /** Item vectors [≤ M·B, D], constants (no gradient path to their source). */
  vectors: tf.Tensor2D;
  /** log Q of each vector [≤ M·B]. */
  logQ: tf.Tensor1D;
  /** Item id of each vector. */
  ids: Int32Array;
}

interface Entry {
  vectors: tf.Tensor2D;
  logQ: tf.Tensor1D;
  ids: Int32Array;
}

/** FIFO queue of the last M batches' item vectors (MBNS). */
export class MemoryBank {
  /** M, the number of batches kept. */
  readonly capacity: number;
  private readonly entries: Entry[] = [];
  private dim: number | null = null;

  constructor(opts: MemoryBankOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new TrainError("BAD_OPTION", `memory bank capacity must be an integer >= 1; got ${opts.capacity}`);
    }
    this.capacity = opts.capacity;
  }

  /** Batches held now (≤ capacity). */
  get size(): number {
    return this.entries.length;
  }

  /** Vectors held now (sum of the held batches' sizes). */
  get rows(): number {
    return this.entries.reduce((n, e) => n + e.ids.length, 0);
  }

  /** Enqueue a batch (copied, gradient cut, kept); evicts and disposes the oldest past capacity. */
  push(vectors: tf.Tensor2D, logQ: tf.Tensor1D, ids: Int32Array): void {
    const [b, d] = vectors.shape;
    if (this.dim !== null) requireShape("vectors", vectors, [b, this.dim]);
    requireShape("logQ", logQ, [b]);
    requireLength("ids", ids, b);
    this.dim = d;
    // Copies, so the caller may dispose its tensors; stopGradient so a push made inside a
    // gradient scope still leaves no path back to the encoder.
    this.entries.push({
      vectors: tf.keep(stopGradient(vectors)),
      logQ: tf.keep(stopGradient(logQ)),
      ids: Int32Array.from(ids),
    });
    while (this.entries.length > this.capacity) dispose(this.entries.shift()!);
  }

  /** All held negatives concatenated oldest → newest, or null when the bank is empty. */
  negatives(): BankNegatives | null {
    if (this.entries.length === 0) return null;
    const ids = new Int32Array(this.rows);
    let at = 0;
    for (const e of this.entries) {
      ids.set(e.ids, at);
      at += e.ids.length;
    }
    return tf.tidy(() => ({
      vectors: tf.concat(this.entries.map((e) => e.vectors)) as tf.Tensor2D,
      logQ: tf.concat(this.entries.map((e) => e.logQ)) as tf.Tensor1D,
      ids,
    }));
  }

  /** Drop every batch (e.g. when MBNS switches on, or after a resume). */
  clear(): void {
    for (const e of this.entries.splice(0)) dispose(e);
    this.dim = null;
  }

  /** Release the held tensors; the bank is empty afterwards. */
  dispose(): void {
    this.clear();
  }
}

function dispose(e: Entry): void {
  e.vectors.dispose();
  e.logQ.dispose();
}
