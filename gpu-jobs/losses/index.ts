// Training losses (DESIGN.md §4): pre-training (MLM, MPM, QIC, QIM/QIM2, seed 001 eq. 3) and
// fine-tuning (sampled softmax). All take and return tf tensors and are differentiable.
export { amSoftmaxLoss } from "./am-softmax.ts";
export type { AmSoftmaxOptions } from "./am-softmax.ts";
export { infoNce } from "./info-nce.ts";
export type { InfoNceOptions } from "./info-nce.ts";
export { logQSoftmaxLoss } from "./logq-softmax.ts";
export type { LogQSoftmaxInput } from "./logq-softmax.ts";
export { sampledSoftmaxLoss } from "./sampled-softmax.ts";
export type { SampledSoftmaxOptions } from "./sampled-softmax.ts";
export { correctedSoftmaxLoss, MASKED_LOGIT } from "./corrected-softmax.ts";
export type { CorrectedSoftmaxInput, NegativeBlock } from "./corrected-softmax.ts";
export { contrastiveMpm, regressionMpm } from "./mpm.ts";
export type { ContrastiveMpmOptions, RegressionMpmOptions } from "./mpm.ts";
export { mlmLoss } from "./mlm.ts";
export { stopGradient } from "./stop-gradient.ts";
export { crossEntropyRows, l2Normalize, pickColumns, rowDot, simMatrix, simMatrixConst } from "./similarity.ts";
