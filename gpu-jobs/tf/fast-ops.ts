// Ops shaped for the tfjs wasm backend (DESIGN.md §10): it sends only flag-free, non-batched
// 2-D matMuls to XNNPACK; a transposeA/B or batched matMul runs a naive scalar loop (~10×
// slower), and gather has no gradient there (no UnsortedSegmentSum). So: dense layers and the
// embedding carry custom gradients that use explicit transposes, flag-free 2-D matMuls and
// scatterND; attention multiplies through depthwise conv2d (XNNPACK) — see multiHeadAttention.
import * as tf from "@tensorflow/tfjs";

/** y = x · W (+ b) with a wasm-fast backward; x is [N,In] or [B,L,In], W is [In,Out]. */
export function dense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const rank = x.rank;
  if (rank !== 2 && rank !== 3) throw new RangeError(`dense: x must be rank 2 or 3, got ${rank}`);
  const inDim = w.shape[0];
  const outDim = w.shape[1];
  if (x.shape[rank - 1] !== inDim) {
    throw new RangeError(`dense: x last dim ${x.shape[rank - 1]} != W rows ${inDim}`);
  }
  const x2 = rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
  const y2 = b ? denseBiasOp(x2, w, b) : denseOp(x2, w);
  return rank === 2 ? y2 : tf.reshape(y2, [x.shape[0]!, x.shape[1]!, outDim]);
}

/** 2-D matMul a · b whose backward uses only explicit transposes + flag-free 2-D matMuls. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return denseOp(a, b);
}

/** a · transpose(b) computed as an explicit transpose then a flag-free matMul (wasm fast path). */
export function matMulBT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return denseOp(a, tf.transpose(b));
}

const denseOp = tf.customGrad((x, w, save) => {
  const xt = x as tf.Tensor2D;
  const wt = w as tf.Tensor2D;
  (save as tf.GradSaveFunc)([xt, wt]);
  return {
    value: tf.matMul(xt, wt),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

const denseBiasOp = tf.customGrad((x, w, b, save) => {
  const xt = x as tf.Tensor2D;
  const wt = w as tf.Tensor2D;
  (save as tf.GradSaveFunc)([xt, wt]);
  return {
    value: tf.add(tf.matMul(xt, wt), b as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy2), tf.sum(dy2, 0)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Rows of table [V,H] for int32 ids of any shape → [...ids.shape, H]; trains on wasm. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (ids.dtype !== "int32") throw new RangeError(`embeddingLookup: ids must be int32, got ${ids.dtype}`);
  const [vocab, hidden] = table.shape;
  const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
  // ids are captured, not passed: they take no gradient.
  const op = tf.customGrad((t, save) => {
    (save as tf.GradSaveFunc)([flat]);
    return {
      value: tf.gather(t as tf.Tensor2D, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const idx = tf.reshape(saved[0]!, [-1, 1]);
        // scatterND sums the rows of duplicate ids, which is the gather gradient.
        return [tf.scatterND(idx, dy, [vocab, hidden])];
      },
    };
  }) as (t: tf.Tensor2D) => tf.Tensor2D;
  const rows = op(table);
  return tf.reshape(rows, [...ids.shape, hidden]);
}

/** Layer normalisation over the last axis with learned gain and bias. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), computed as x·sigmoid(2u) (the same function). */
export function gelu(x: tf.Tensor): tf.Tensor {
  // wasm runs Sigmoid through XNNPACK but Tanh as a scalar loop: this form's fwd+bwd ran ~1.8× faster.
  return tf.tidy(() => {
    const c = 2 * Math.sqrt(2 / Math.PI);
    return tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), c)));
  });
}

/** out[i,c,j] = Σ_k a[i,k,c] · b[k,c,j]: a batched matMul over channel c run as a depthwise conv. */
export function channelMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return channelMatMulOp(a, b);
}

// A depthwise conv2d with a 1×K kernel and channel multiplier N is exactly a batched matMul whose
// batch is the channel axis, and wasm runs it through XNNPACK (4× the naive BatchMatMul loop).
function channelMatMulRaw(a: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  const [m, k, n] = a.shape as [number, number, number];
  const cols = b.shape[2]!;
  const a4 = tf.reshape(a, [1, m, k, n]) as tf.Tensor4D;
  const b4 = tf.reshape(b, [1, k, n, cols]) as tf.Tensor4D;
  return tf.reshape(tf.depthwiseConv2d(a4, b4, 1, "valid"), [m, n, cols]);
}

// wasm has no DepthwiseConv2dNativeBackprop* kernels: both gradients are channel matMuls again.
const channelMatMulOp = tf.customGrad((a, b, save) => {
  (save as tf.GradSaveFunc)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: channelMatMulRaw(a as tf.Tensor, b as tf.Tensor),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      // da[i,k,c] = Σ_j dy[i,c,j] b[k,c,j];  db[k,c,j] = Σ_i a[i,k,c] dy[i,c,j]
      const da = tf.transpose(channelMatMulRaw(tf.transpose(dy, [0, 2, 1]), tf.transpose(sb, [2, 1, 0])), [0, 2, 1]);
      const db = channelMatMulRaw(tf.transpose(sa, [1, 0, 2]), dy);
      return [da, db];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Weights of one multi-head self-attention block (fused QKV projection). */
export interface AttentionParams {
  /** [H, 3H] query | key | value projection. */
  wqkv: tf.Tensor2D;
  /** [3H] bias of the QKV projection. */
  bqkv: tf.Tensor1D;
  /** [H, H] output projection. */
  wo: tf.Tensor2D;
  /** [H] bias of the output projection. */
  bo: tf.Tensor1D;
}

/** How the per-head score and context products are computed. */
export type AttentionImpl = "depthwise" | "batched" | "auto";

/**
 * Self-attention of x [B,L,H] over positions where mask [B,L] is 1 → [B,L,H].
 *
 * wasm timings (2 cores, B=64 L=40 H=128 4 heads, attention core fwd / fwd+bwd, ms, median of 3;
 * the machine was shared, read as ratios): (a) batched tf.matMul 31 / 82; (a2) batched, flag-free
 * via explicit transposes 28 / 91; (b) broadcast multiply + sum 45 / 339; (c) per-(example, head)
 * loop of 2-D matMuls 142 / 363; (d) groups of G (example, head) pairs as one block-diagonal 2-D
 * matMul: G=2 88 / 180, G=4 50 / 142, G=8 47 / 129; (e) depthwise conv2d as channel matMul
 * 10 / 54 — the winner, used on wasm ("auto"). Other backends batch matMuls well: "auto" → batched.
 */
export function multiHeadAttention(x: tf.Tensor3D, mask: tf.Tensor2D, params: AttentionParams, heads: number, impl: AttentionImpl = "auto"): tf.Tensor3D {
  const [batch, len, hidden] = x.shape;
  if (hidden % heads !== 0) throw new RangeError(`multiHeadAttention: hidden ${hidden} not divisible by heads ${heads}`);
  const dh = hidden / heads;
  const use = impl === "auto" ? (tf.getBackend() === "wasm" ? "depthwise" : "batched") : impl;
  return tf.tidy(() => {
    // q, k and v as three products with column blocks of the fused weight rather than one product
    // cut into three: wasm's column Slice of [BL,3H] (and its Pad gradient) is a slow loop, a [H,H]
    // block of the weight costs nothing. Same values; the attention block's fwd+bwd ran ~30% faster.
    const x2 = tf.reshape(x, [batch * len, hidden]);
    const part = (i: number) => tf.reshape(dense(x2, tf.slice(params.wqkv, [0, i * hidden], [hidden, hidden]), tf.slice(params.bqkv, [i * hidden], [hidden])), [batch, len, heads, dh]);
    // Additive mask: -1e9 makes exp() exactly 0, so padded keys contribute nothing at all.
    const negBias = tf.mul(tf.sub(1, mask), -1e9);
    const scale = 1 / Math.sqrt(dh);
    let ctx: tf.Tensor;
    if (use === "depthwise") {
      const bh = batch * heads;
      const qd = tf.reshape(tf.transpose(part(0), [1, 3, 0, 2]), [len, dh, bh]) as tf.Tensor3D; // [i,d,c]
      const kd = tf.reshape(tf.transpose(part(1), [3, 0, 2, 1]), [dh, bh, len]) as tf.Tensor3D; // [d,c,j]
      const vd = tf.reshape(tf.transpose(part(2), [1, 0, 2, 3]), [len, bh, dh]) as tf.Tensor3D; // [j,c,d]
      const scores = tf.add(tf.mul(tf.reshape(channelMatMul(qd, kd), [len, batch, heads, len]), scale), tf.reshape(negBias, [1, batch, 1, len]));
      const probs = tf.reshape(tf.transpose(tf.softmax(scores), [0, 3, 1, 2]), [len, len, bh]) as tf.Tensor3D; // [i,j,c]
      const out = tf.reshape(channelMatMul(probs, vd), [len, batch, heads, dh]);
      ctx = tf.reshape(tf.transpose(out, [1, 0, 2, 3]), [batch, len, hidden]);
    } else {
      const headsFirst = (i: number) => tf.transpose(part(i), [0, 2, 1, 3]) as tf.Tensor4D; // [B,h,L,dh]
      const scores = tf.add(tf.mul(tf.matMul(headsFirst(0), headsFirst(1), false, true), scale), tf.reshape(negBias, [batch, 1, 1, len]));
      const out = tf.matMul(tf.softmax(scores) as tf.Tensor4D, headsFirst(2));
      ctx = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [batch, len, hidden]);
    }
    return dense(ctx, params.wo, params.bo) as tf.Tensor3D;
  });
}
