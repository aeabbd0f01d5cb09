// Seed 001 eq. 3: query–item matching over the positive, in-batch negatives, memory-bank
// negatives (MBNS, weight α) and cross-device negatives (CDNS, weight β), every logit
// corrected by −log Q(item). The formula and where α, β enter: corrected-softmax.ts.
import type * as tf from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";
import { correctedSoftmaxLoss } from "./corrected-softmax.ts";
import type { NegativeBlock } from "./corrected-softmax.ts";
import { requirePositive } from "./checks.ts";

/** Inputs of the eq. 3 loss; each optional negative group comes with its log Q (and ids). */
export interface LogQSoftmaxInput {
  /** Query vectors [B,D]. */
  q: tf.Tensor2D;
  /** Positive item vectors [B,D]. */
  pos: tf.Tensor2D;
  /** The batch's own item vectors [B,D] (usually `pos`); off-diagonal entries are negatives. */
  inBatch?: tf.Tensor2D;
  /** Memory-bank negatives [M,D]; constants (no gradient). */
  mbns?: tf.Tensor2D;
  /** Cross-device negatives [C,D]; constants (no gradient). */
  cdns?: tf.Tensor2D;
  /** log Q of each positive [B]. */
  logQPos: tf.Tensor1D;
  /** log Q of each in-batch item [B]; required with `inBatch`. */
  logQInBatch?: tf.Tensor1D;
  /** log Q of each bank negative [M]; required with `mbns`. */
  logQMbns?: tf.Tensor1D;
  /** log Q of each cross-device negative [C]; required with `cdns`. */
  logQCdns?: tf.Tensor1D;
  /** Weight α of the MBNS terms (> 0; default 1). */
  alpha?: number;
  /** Weight β of the CDNS terms (> 0; default 1). */
  beta?: number;
  /** Temperature τ on the inner products (> 0). */
  temperature: number;
  /** Positive item ids [B]: negatives with the same id are masked (accidental hits). */
  posIds?: Int32Array;
  /** Item ids of `inBatch` [B]. */
  inBatchIds?: Int32Array;
  /** Item ids of `mbns` [M]. */
  mbnsIds?: Int32Array;
  /** Item ids of `cdns` [C]. */
  cdnsIds?: Int32Array;
}

/** Seed 001 eq. 3 loss: mean −log p(i+|q) over in-batch + α·MBNS + β·CDNS negatives with logQ. */
export function logQSoftmaxLoss(input: LogQSoftmaxInput): tf.Scalar {
  const alpha = input.alpha ?? 1;
  const beta = input.beta ?? 1;
  requirePositive("alpha", alpha);
  requirePositive("beta", beta);
  const blocks: NegativeBlock[] = [];
  if (input.inBatch) {
    blocks.push({
      vectors: input.inBatch,
      logQ: need(input.logQInBatch, "logQInBatch", "inBatch"),
      logWeight: 0,
      // In-batch items are this step's own outputs: they train as negatives too.
      constant: false,
      ids: input.inBatchIds,
      maskDiagonal: true,
    });
  }
  if (input.mbns) {
    blocks.push({
      vectors: input.mbns,
      logQ: need(input.logQMbns, "logQMbns", "mbns"),
      logWeight: Math.log(alpha),
      constant: true,
      ids: input.mbnsIds,
    });
  }
  if (input.cdns) {
    blocks.push({
      vectors: input.cdns,
      logQ: need(input.logQCdns, "logQCdns", "cdns"),
      logWeight: Math.log(beta),
      constant: true,
      ids: input.cdnsIds,
    });
  }
  return correctedSoftmaxLoss({
    q: input.q,
    pos: input.pos,
    logQPos: input.logQPos,
    blocks,
    temperature: input.temperature,
    posIds: input.posIds,
  });
}

function need(t: tf.Tensor1D | undefined, name: string, with_: string): tf.Tensor1D {
  if (!t) throw new TrainError("BAD_OPTION", `${name} is required when ${with_} is given`);
  return t;
}
