// The logQ-corrected softmax of seed 001 eq. 3 (pre-training, MBNS/CDNS) and of seed 000's
// sampled softmax (fine-tuning). For query q with positive item i+ and negatives j:
//
//   p(i+ | q) = e^{z(i+)} / ( e^{z(i+)} + Σ_in-batch e^{z(j)} + α Σ_MBNS e^{z(j)} + β Σ_CDNS e^{z(j)} )
//   z(j)      = ⟨q, e_j⟩ / τ − log Q(j)
//
// log Q(j) is the item's sampling probability (from its frequency): subtracting it from every
// logit, the positive's included, undoes the popularity bias of sampled/in-batch negatives.
// The weights enter as log α and log β *added to the MBNS and CDNS logits*, which is exactly α
// and β multiplying their exp terms in the denominator (α e^{z} = e^{z + log α}); the sums run
// over the N_M bank and N_C cross-device negatives. The correction −log Q is applied after
// the temperature (to the logit, not to the raw similarity), as in sampled softmax.
// Negatives that are the positive item itself (same id: "accidental hits") get −1e9 added
// (exp → 0 exactly, gradient 0); a finite value, not −∞, so no NaN can come out of a row.
import * as tf from "@tensorflow/tfjs";
import { requireLength, requirePositive, requireShape } from "./checks.ts";
import { rowDot, simMatrix, simMatrixConst } from "./similarity.ts";
import { stopGradient } from "./stop-gradient.ts";

/** Logit given to a masked negative: far below any real logit, yet finite. */
export const MASKED_LOGIT = -1e9;

/** One group of negatives in the corrected softmax. */
export interface NegativeBlock {
  /** Negative item vectors [N,D]. */
  vectors: tf.Tensor2D;
  /** log Q of each negative [N]. */
  logQ: tf.Tensor1D;
  /** Added to every logit of the block: log α / log β (0 = weight 1). */
  logWeight: number;
  /** Treat `vectors` as constants: no gradient reaches them (MBNS, CDNS). */
  constant: boolean;
  /** Item ids [N], to mask negatives equal to the row's positive. */
  ids?: Int32Array;
  /** Mask the diagonal (block is the batch's own items; [i,i] is row i's positive). */
  maskDiagonal?: boolean;
}

/** Inputs of the shared corrected-softmax core. */
export interface CorrectedSoftmaxInput {
  /** Query vectors [B,D]. */
  q: tf.Tensor2D;
  /** Positive item vectors [B,D] (row i is q_i's positive). */
  pos: tf.Tensor2D;
  /** log Q of each positive [B]. */
  logQPos: tf.Tensor1D;
  /** Negative groups, concatenated after the positive column. */
  blocks: NegativeBlock[];
  /** Temperature τ (> 0). */
  temperature: number;
  /** Positive item ids [B], for the accidental-hit mask. */
  posIds?: Int32Array;
}

/** Mean over the batch of −log p(i+|q) with logQ correction and per-block weights. */
export function correctedSoftmaxLoss(input: CorrectedSoftmaxInput): tf.Scalar {
  const { q, pos, logQPos, blocks, temperature, posIds } = input;
  requirePositive("temperature", temperature);
  const [b, d] = q.shape;
  requireShape("pos", pos, [b, d]);
  requireShape("logQPos", logQPos, [b]);
  if (posIds) requireLength("posIds", posIds, b);
  blocks.forEach((blk, n) => {
    requireShape(`negatives[${n}].vectors`, blk.vectors, [null, d]);
    requireShape(`negatives[${n}].logQ`, blk.logQ, [blk.vectors.shape[0]]);
    if (blk.ids) requireLength(`negatives[${n}].ids`, blk.ids, blk.vectors.shape[0]);
    if (blk.maskDiagonal) requireShape(`negatives[${n}].vectors (in-batch)`, blk.vectors, [b, d]);
  });
  return tf.tidy(() => {
    // ⟨q, e⟩/τ = ⟨q/τ, e⟩: scale the [B,D] queries once instead of every [B,N] logit block.
    const qs = tf.mul(q, 1 / temperature) as tf.Tensor2D;
    const posLogit = tf.reshape(tf.sub(rowDot(qs, pos), logQPos), [b, 1]);
    const columns: tf.Tensor2D[] = [posLogit as tf.Tensor2D];
    for (const blk of blocks) {
      const sim = blk.constant ? simMatrixConst(qs, blk.vectors) : simMatrix(qs, blk.vectors);
      let z: tf.Tensor = tf.sub(sim, tf.reshape(blk.logQ, [1, -1]));
      if (blk.logWeight !== 0) z = tf.add(z, blk.logWeight);
      const mask = hitMask(b, blk, posIds);
      if (mask) z = tf.add(z, mask);
      columns.push(z as tf.Tensor2D);
    }
    // −log p = logsumexp(all logits) − z(i+). The logsumexp runs block by block around one
    // shared row max, so the (up to tens of thousands of) negatives are never concatenated
    // (concat + its SplitV gradient cost as much as the matMuls on wasm). The max is a constant
    // for autodiff: d lse/d m = 0, so the gradient is exactly softmax and stays stable.
    const m = stopGradient(columns.map((z) => tf.max(z, 1, true)).reduce((acc, x) => tf.maximum(acc, x)));
    const sumExp = columns.map((z) => tf.sum(tf.exp(tf.sub(z, m)), 1, true)).reduce((acc, x) => tf.add(acc, x));
    const lse = tf.add(m, tf.log(sumExp));
    return tf.mean(tf.sub(lse, posLogit)) as tf.Scalar;
  });
}

/** Additive mask [B,N]: MASKED_LOGIT where a negative is the row's own item (diagonal of the
 * in-batch block, or the positive's id), else 0; null when nothing is masked. Built in JS:
 * broadcast int32 Equal is the slowest kernel of this loss on wasm (~half its time at N = 8k). */
function hitMask(b: number, blk: NegativeBlock, posIds: Int32Array | undefined): tf.Tensor2D | null {
  const n = blk.vectors.shape[0];
  let data: Float32Array | null = null;
  const hit = (i: number, j: number) => {
    data ??= new Float32Array(b * n);
    data[i * n + j] = MASKED_LOGIT;
  };
  if (blk.maskDiagonal) for (let i = 0; i < b; i++) hit(i, i);
  if (posIds && blk.ids) {
    const rowsOf = new Map<number, number[]>();
    posIds.forEach((id, i) => rowsOf.set(id, [...(rowsOf.get(id) ?? []), i]));
    blk.ids.forEach((id, j) => {
      for (const i of rowsOf.get(id) ?? []) hit(i, j);
    });
  }
  return data ? tf.tensor2d(data, [b, n]) : null;
}
