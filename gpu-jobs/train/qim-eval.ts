// QIM loss over a fixed evaluation set (every distinct training query with its first clicked
// item, in-batch negatives): a loss whose meaning does not change as MBNS/CDNS switch on, so
// "fell by 90%" compares like with like.
import * as tf from "@tensorflow/tfjs";
import type { TrainingData } from "../data/index.ts";
import { infoNce } from "../losses/index.ts";
import type { Model } from "../model/towers.ts";
import type { Tokenizer } from "../../encoders/index.ts";
import { encodeItemVectors, encodeQueryVectors, queryTargets } from "./encode-all.ts";

/** In-batch InfoNCE of distinct queries against their items at `temperature`. */
export function qimEvalLoss(model: Model, tokenizer: Tokenizer, data: TrainingData, temperature: number): number {
  const { queries, targets } = queryTargets(data.pairs);
  const rows = Int32Array.from(targets, (t) => [...t][0]!);
  const dim = model.config.dim;
  const q = encodeQueryVectors(model, tokenizer, queries);
  const it = encodeItemVectors(model, tokenizer, data.items, rows);
  return tf.tidy(() => infoNce(tf.tensor2d(q, [queries.length, dim]), tf.tensor2d(it, [rows.length, dim]), { temperature }).dataSync()[0]!);
}
