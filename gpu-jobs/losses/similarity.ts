// Building blocks of every loss here, shaped for the wasm backend (DESIGN.md §10): similarity
// matrices are flag-free 2-D matMuls (a transposeB matMul, and what autodiff emits for it, runs a
// ~10× slower scalar loop on wasm), and label picking uses gather forward + scatterND backward
// (gather's own gradient needs UnsortedSegmentSum, which wasm lacks).
import * as tf from "@tensorflow/tfjs";
import { matMulBT } from "../tf/fast-ops.ts";

/** a · bᵀ [N,M] for a [N,D], b [M,D], with gradients to both through flag-free matMuls. */
export function simMatrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  // tidy: matMulBT's explicit transpose of b is an intermediate the caller never sees.
  return tf.tidy(() => matMulBT(a, b));
}

/** a · cᵀ [N,M] where c [M,D] is a constant: only `a` takes a gradient (dy · c, flag-free). */
export function simMatrixConst(a: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
  // c is captured rather than passed, so it is not a tape input: its gradient is absent and the
  // [D,N]×[N,M] product for it is never computed (MBNS/CDNS negatives, seed 001 §2.2).
  const op = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([c]);
    return {
      value: tf.matMul(x as tf.Tensor2D, tf.transpose(c)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, saved[0] as tf.Tensor2D)],
    };
  }) as (x: tf.Tensor2D) => tf.Tensor2D;
  return op(a);
}

/** Row-wise inner products ⟨a_i, b_i⟩ → [N] (the positives' similarities). */
export function rowDot(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(a, b), 1);
}

/** Rows scaled to unit L2 norm (eps guards the zero vector; its gradient stays finite). */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps))) as T);
}

/** x[i, cols[i]] → [N] for x [N,C] and int32 cols [N]; differentiable in x on every backend. */
export function pickColumns(x: tf.Tensor2D, cols: tf.Tensor1D): tf.Tensor1D {
  const [n, c] = x.shape;
  const flatIdx = tf.tidy(() => tf.add(tf.mul(tf.range(0, n, 1, "int32"), tf.scalar(c, "int32")), cols)) as tf.Tensor1D;
  const op = tf.customGrad((t, save) => {
    (save as tf.GradSaveFunc)([flatIdx]);
    return {
      value: tf.gather(tf.reshape(t as tf.Tensor2D, [-1]), flatIdx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.reshape(tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy, [n * c]), [n, c])],
    };
  }) as (t: tf.Tensor2D) => tf.Tensor1D;
  const out = op(x);
  flatIdx.dispose();
  return out;
}

/** Per-row softmax cross-entropy −log softmax(logits)[i, labels[i]] → [N] (labels int32 [N]). */
export function crossEntropyRows(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  // logSoftmax subtracts the row max before exp: stable for large logits (scale 30, 1/τ = 100).
  return tf.tidy(() => tf.neg(pickColumns(tf.logSoftmax(logits) as tf.Tensor2D, labels)));
}

/** int32 [0, 1, …, n−1]: the diagonal labels of an in-batch similarity matrix. */
export function diagonalLabels(n: number): tf.Tensor1D {
  return tf.range(0, n, 1, "int32") as tf.Tensor1D;
}
