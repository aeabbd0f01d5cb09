// The forward math of gpu-jobs/tf/fast-ops.ts and encoder.ts as ONNX nodes, in the same order of
// operations as TF.js so float32 rounding stays close (parity ≤ 1e-4).
import type { GraphBuilder } from "./graph-builder.ts";

/** A named weight: its shape and float32 values. */
export interface Weight {
  /** Dimensions. */
  shape: number[];
  /** Row-major values. */
  values: Float32Array;
}

/** Weights by the model's stable variable names. */
export type WeightMap = ReadonlyMap<string, Weight>;

/** A builder plus the weights its initializers come from (each added once, on first use). */
export class OpContext {
  constructor(
    /** The graph being built. */
    readonly g: GraphBuilder,
    /** The model's weights by stable name. */
    readonly weights: WeightMap,
  ) {}

  private readonly added = new Set<string>();

  /** The weight as an initializer named after the variable. */
  param(name: string): string {
    if (!this.added.has(name)) {
      this.g.init(name, this.weight(name).values, this.weight(name).shape);
      this.added.add(name);
    }
    return name;
  }

  /** A derived initializer (rows of a table, a transposed filter) under its own name. */
  derived(name: string, make: () => Weight): string {
    if (!this.added.has(name)) {
      const w = make();
      this.g.init(name, w.values, w.shape);
      this.added.add(name);
    }
    return name;
  }

  /** Look up a weight; throws naming it when the model has none. */
  weight(name: string): Weight {
    const w = this.weights.get(name);
    if (!w) throw new RangeError(`export: the model has no variable ${name}`);
    return w;
  }

  /** Rows [start, start+count) of a 2-D table as an initializer. */
  rows(name: string, start: number, count: number): string {
    return this.derived(`${name}[${start}:${start + count}]`, () => {
      const w = this.weight(name);
      const width = w.shape[1]!;
      return { shape: [count, width], values: w.values.slice(start * width, (start + count) * width) };
    });
  }
}

/** x·W + b over the last axis (MatMul broadcasts over leading axes). */
export function dense(c: OpContext, x: string, w: string, b?: string): string {
  const y = c.g.op("MatMul", [x, c.param(w)]);
  return b ? c.g.op("Add", [y, c.param(b)]) : y;
}

/** LayerNorm over the last axis: (x − mean)·rsqrt(var + eps)·γ + β, as fast-ops.layerNorm. */
export function layerNorm(c: OpContext, x: string, gamma: string, beta: string, eps = 1e-5): string {
  const g = c.g;
  const mean = g.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
  const centered = g.op("Sub", [x, mean]);
  const variance = g.op("ReduceMean", [g.op("Mul", [centered, centered])], { axes: [-1], keepdims: 1 });
  const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.scalar(eps)])])]);
  return g.op("Add", [g.op("Mul", [g.op("Mul", [centered, inv]), c.param(gamma)]), c.param(beta)]);
}

/** GELU, tanh approximation, in fast-ops.gelu's order of operations. */
export function gelu(c: OpContext, x: string): string {
  const g = c.g;
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.scalar(0.044715)])]), g.scalar(2 * Math.sqrt(2 / Math.PI))]);
  return g.op("Mul", [x, g.op("Sigmoid", [inner])]);
}

/** Self-attention of x [B,L,H] with additive bias [B,1,1,L] (0 real, −1e9 masked) → [B,L,H]. */
export function attention(c: OpContext, x: string, bias: string, prefix: string, hidden: number, heads: number): string {
  const g = c.g;
  const dh = hidden / heads;
  const qkv = dense(c, x, `${prefix}.wqkv`, `${prefix}.bqkv`); // [B,L,3H]
  const part = (i: number, perm: number[]) => {
    const s = g.op("Slice", [qkv, g.ints([i * hidden]), g.ints([(i + 1) * hidden]), g.ints([2])]);
    return g.op("Transpose", [g.op("Reshape", [s, g.ints([0, 0, heads, dh])])], { perm });
  };
  const q = part(0, [0, 2, 1, 3]); // [B,h,L,dh]
  const kT = part(1, [0, 2, 3, 1]); // [B,h,dh,L]
  const v = part(2, [0, 2, 1, 3]);
  const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kT]), g.scalar(1 / Math.sqrt(dh))]), bias]);
  const ctx = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), v]);
  const merged = g.op("Reshape", [g.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }), g.ints([0, 0, hidden])]);
  return dense(c, merged, `${prefix}.wo`, `${prefix}.bo`);
}

/** The additive attention bias [B,1,1,L] of a 0/1 mask [B,L]: (1 − mask)·(−1e9), as fast-ops. */
export function attentionBias(c: OpContext, mask: string): string {
  const g = c.g;
  const neg = g.op("Mul", [g.op("Sub", [g.scalar(1), mask]), g.scalar(-1e9)]);
  return g.op("Unsqueeze", [neg, g.ints([1, 2])]);
}

/** Pre-LN encoder (encoder.ts runEncoder) under `${prefix}.layerN.*`, final LN `${prefix}.ln_out`. */
export function encoder(c: OpContext, x: string, mask: string, prefix: string, cfg: { layers: number; hidden: number; heads: number }): string {
  const g = c.g;
  const bias = attentionBias(c, mask);
  let h = x;
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${prefix}.layer${i}`;
    const a = layerNorm(c, h, `${p}.ln1.g`, `${p}.ln1.b`);
    h = g.op("Add", [h, attention(c, a, bias, `${p}.attn`, cfg.hidden, cfg.heads)]);
    const f = layerNorm(c, h, `${p}.ln2.g`, `${p}.ln2.b`);
    const inner = gelu(c, dense(c, f, `${p}.ffn.w1`, `${p}.ffn.b1`));
    h = g.op("Add", [h, dense(c, inner, `${p}.ffn.w2`, `${p}.ffn.b2`)]);
  }
  return layerNorm(c, h, `${prefix}.ln_out.g`, `${prefix}.ln_out.b`);
}

/** x / sqrt(max(Σx², 1e-12)) over axis 1 of [B,D], as towers.ts l2norm. */
export function l2norm(c: OpContext, x: string): string {
  const g = c.g;
  const ss = g.op("ReduceSum", [g.op("Mul", [x, x]), g.ints([1])], { keepdims: 1 });
  return g.op("Div", [x, g.op("Sqrt", [g.op("Max", [ss, g.scalar(1e-12)])])]);
}

/** Σ(states·mask) / max(Σmask, 1) over axis 1: states [B,L,H], mask [B,L] → [B,H]. */
export function maskedMean(c: OpContext, states: string, mask: string): string {
  const g = c.g;
  const m = g.op("Unsqueeze", [mask, g.ints([2])]);
  const num = g.op("ReduceSum", [g.op("Mul", [states, m]), g.ints([1])], { keepdims: 0 });
  const den = g.op("Max", [g.op("ReduceSum", [m, g.ints([1])], { keepdims: 0 }), g.scalar(1)]);
  return g.op("Div", [num, den]);
}

/** x[:, start:end] along axis 1 (end exclusive). */
export function sliceAxis1(c: OpContext, x: string, start: number, end: number): string {
  return c.g.op("Slice", [x, c.g.ints([start]), c.g.ints([end]), c.g.ints([1])]);
}

/** A constant [1,...] tensor broadcast to the batch of `like` (first axis): Expand to [B, ...rest]. */
export function expandToBatch(c: OpContext, constant: string, like: string, rest: number[]): string {
  const g = c.g;
  const batch = g.op("Slice", [g.op("Shape", [like]), g.ints([0]), g.ints([1]), g.ints([0])]);
  const shape = g.op("Concat", [batch, g.ints(rest)], { axis: 0 });
  return g.op("Expand", [constant, shape]);
}
