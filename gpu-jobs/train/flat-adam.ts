// Adam over one flat float32 vector holding every trained variable end to end (the layout of the
// all-reduce's gradient, train/collective.ts). TF.js's tf.train.adam runs ~15 kernels per variable
// (~1,000 launches a step for the cpu preset, ~10 ms on wasm); this is one loop in JS (~4 ms for
// 484k parameters), and a data-parallel group splits it: each worker updates its own range of the
// shared weights and moments, then every worker loads the whole vector (ZeRO-1 style).
//
// Bit for bit tf.train.adam on float32 backends: the same operations in the same order, each
// rounded to float32 (Math.fround of a double +, −, ×, ÷ or √ of float32 operands is the float32
// result), and the bias corrections kept as TF.js keeps them, running float32 products β^t. The
// checkpoint entries have TF.js's names and order ("iter", then every "<var>/m", then every
// "<var>/v"), so checkpoints written before this optimizer resume into it and the other way round.
import * as tf from "@tensorflow/tfjs";

/** One trained variable's place in the flat vector (the order every worker shares). */
export interface FlatVariable {
  /** The variable's name (TF.js's, as in the gradient map). */
  name: string;
  /** Its shape. */
  shape: number[];
  /** Its element count. */
  size: number;
}

/** Where the optimizer's vectors live (shared memory in a data-parallel group). */
export interface FlatAdamState {
  /** First moments, one per parameter. */
  m: Float32Array;
  /** Second moments. */
  v: Float32Array;
  /** The parameters themselves (the variables are loaded from here after each update). */
  weights: Float32Array;
}

/** Adam's settings (tf.train.adam's defaults). */
export interface FlatAdamOptions {
  /** Learning rate. */
  lr: number;
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Added to √v̂ (default 1e-7, the float32 backends' epsilon that tf.train.adam takes). */
  epsilon?: number;
  /** The vectors to use (default: fresh zeroed arrays). */
  state?: FlatAdamState;
}

/** A checkpoint's optimizer entry (train/checkpoint.ts LoadedCheckpoint.optimizer). */
export interface SavedSlot {
  name: string;
  values: Float32Array;
}

const f = Math.fround;

/** Adam on a flat parameter vector; see the file comment. */
export class FlatAdam {
  /** Parameters in all. */
  readonly size: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly weights: Float32Array;
  /** Updates applied so far (TF.js's "iter"). */
  iterations = 0;
  /** β1^t and β2^t as float32 running products (t = iterations + 1): the bias corrections of the next update. */
  acc: [number, number];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly lr: number;

  constructor(
    /** The variables, in flat order. */
    readonly vars: readonly FlatVariable[],
    o: FlatAdamOptions,
  ) {
    this.size = vars.reduce((n, v) => n + v.size, 0);
    this.m = o.state?.m ?? new Float32Array(this.size);
    this.v = o.state?.v ?? new Float32Array(this.size);
    this.weights = o.state?.weights ?? new Float32Array(this.size);
    for (const a of [this.m, this.v, this.weights]) if (a.length !== this.size) throw new RangeError(`FlatAdam: state vectors must hold ${this.size} floats; got ${a.length}`);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.epsilon = o.epsilon ?? 1e-7;
    this.lr = o.lr;
    this.acc = [f(this.beta1), f(this.beta2)];
  }

  /**
   * One step on parameters [lo, hi): `grad` is indexed like the weights; with `scale` ≠ 1 every
   * gradient is first multiplied by it (global-norm clipping). Advances the bias corrections: call
   * once per step (a group's workers each call it on their own range).
   */
  update(grad: Float32Array, lo = 0, hi = this.size, scale = 1): void {
    if (grad.length !== this.size || lo < 0 || hi > this.size || lo > hi) throw new RangeError(`FlatAdam.update: range [${lo}, ${hi}) of ${grad.length} gradients over ${this.size} parameters`);
    const { m, v, weights: w } = this;
    const B1 = f(this.beta1);
    const B2 = f(this.beta2);
    const OB1 = f(1 - this.beta1);
    const OB2 = f(1 - this.beta2);
    const C1 = f(1 - this.acc[0]);
    const C2 = f(1 - this.acc[1]);
    const EPS = f(this.epsilon);
    const NLR = f(-this.lr);
    for (let i = lo; i < hi; i++) {
      const g = scale === 1 ? grad[i]! : f(grad[i]! * scale);
      const m1 = f(f(m[i]! * B1) + f(g * OB1));
      const v1 = f(f(v[i]! * B2) + f(f(g * g) * OB2));
      m[i] = m1;
      v[i] = v1;
      // w + (m̂ / (√v̂ + ε)) · −lr, in tf.train.adam's order.
      w[i] = w[i]! + f(f(f(m1 / C1) / f(f(Math.sqrt(f(v1 / C2))) + EPS)) * NLR);
    }
    this.acc = [f(this.acc[0] * B1), f(this.acc[1] * B2)];
    this.iterations++;
  }

  /** Copy the variables' values into the weights, [lo, hi) only (default all): at the start and after a restore. */
  readVariables(vars: readonly tf.Variable[], lo = 0, hi = this.size): void {
    let at = 0;
    for (const [i, x] of vars.entries()) {
      const end = at + this.vars[i]!.size;
      if (end > lo && at < hi) {
        const values = x.dataSync() as Float32Array;
        const from = Math.max(lo, at);
        this.weights.set(values.subarray(from - at, Math.min(hi, end) - at), from);
      }
      at = end;
    }
  }

  /** Load every variable from the weights (after the update; in a group, after every range's). */
  writeVariables(vars: readonly tf.Variable[]): void {
    let at = 0;
    for (const [i, x] of vars.entries()) {
      const size = this.vars[i]!.size;
      tf.tidy(() => x.assign(tf.tensor(this.weights.subarray(at, at + size), x.shape)));
      at += size;
    }
  }

  /** The optimizer's checkpoint entries, as tf.train.adam's getWeights names and orders them (fresh tensors: the caller disposes them). */
  async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    const slots = (which: "m" | "v") => {
      let at = 0;
      return this.vars.map((x) => {
        const values = this[which].slice(at, at + x.size);
        at += x.size;
        return { name: `${x.name}/${which}`, tensor: tf.tensor(values, x.shape) };
      });
    };
    return [{ name: "iter", tensor: tf.scalar(this.iterations, "int32") }, ...slots("m"), ...slots("v")];
  }

  /**
   * Restore [lo, hi) of the moments from a checkpoint's optimizer entries (tf.train.adam's layout,
   * matched by position as TF.js does) and the bias corrections (`acc`: saved running products;
   * absent in old checkpoints: β^(t+1) by pow, as TF.js's setWeights computes them).
   */
  restore(saved: readonly SavedSlot[], acc: [number, number] | null, lo = 0, hi = this.size): void {
    if (saved.length === 0) return;
    const [iter, ...slots] = saved;
    if (iter!.name !== "iter") throw new Error(`checkpoint optimizer entries start with ${iter!.name}, not iter; was it written by another optimizer?`);
    const n = this.vars.length;
    if (slots.length !== 2 * n) throw new Error(`checkpoint holds Adam slots for ${slots.length / 2} variables but the run trains ${n}; was it written by a different model config?`);
    let at = 0;
    for (const [i, x] of this.vars.entries()) {
      const end = at + x.size;
      for (const [which, slot] of [
        ["m", slots[i]!],
        ["v", slots[n + i]!],
      ] as const) {
        if (slot.values.length !== x.size) throw new Error(`checkpoint slot ${slot.name} holds ${slot.values.length} values but ${x.name} has ${x.size}`);
        const from = Math.max(lo, at);
        if (end > lo && at < hi) this[which].set(slot.values.subarray(from - at, Math.min(hi, end) - at), from);
      }
      at = end;
    }
    this.iterations = Math.round(iter!.values[0]!);
    this.acc = acc ?? [f(this.beta1 ** (this.iterations + 1)), f(this.beta2 ** (this.iterations + 1))];
  }
}
