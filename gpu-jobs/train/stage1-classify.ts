// Stage 1 "classify" (issue #17): the vision side learns what products look like by telling the
// catalog's categories from the image alone — a linear head over the mean of the patch encoder's
// outputs (before the transformer, so the patch CNN or backbone projection is what adapts),
// softmax cross-entropy over the batch's items that have an image and a category. The head is
// trained and checkpointed with the run (names under `stage1/`) but is no part of the model:
// export and fine-tuning never read it.
import * as tf from "@tensorflow/tfjs";
import type { TrainingItems } from "../data/index.ts";
import { categoryLabel } from "../eval/probe.ts";
import { crossEntropyRows } from "../losses/index.ts";
import { NORMAL, ParamStore, ZEROS } from "../model/params.ts";

/** The classes stage 1 tells apart. */
export interface CategoryClasses {
  /** Class names (whole category paths, as the probe labels them), sorted. */
  names: string[];
  /** Class of each catalog row; −1 for items without a category or without an image. */
  classOf: Int32Array;
}

/** The categories of the catalog's items with an image (the only ones classification sees). */
export function categoryClasses(items: Pick<TrainingItems, "categories" | "textOnly">): CategoryClasses {
  const labels = items.categories.map((c, i) => (items.textOnly[i] ? null : categoryLabel(c)));
  const names = [...new Set(labels.filter((l): l is string => l !== null))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  return { names, classOf: Int32Array.from(labels, (l) => (l === null ? -1 : index.get(l)!)) };
}

/** Variable names of the head, in training order (after the model's and the MPM temperature). */
export const CLASSIFY_HEAD = { w: "stage1/classify.w", b: "stage1/classify.b" } as const;

/** The head's variables [H,C] and [C], drawn from the run's seed (their own streams: the model's draws do not move). */
export function createClassifyHead(hidden: number, classes: number, seed: number): Map<string, tf.Variable> {
  const store = new ParamStore(seed);
  store.add(CLASSIFY_HEAD.w, [hidden, classes], NORMAL);
  store.add(CLASSIFY_HEAD.b, [classes], ZEROS);
  return store.variables;
}

/**
 * Mean cross-entropy of the head over the rows that have an image and a class; null when the batch
 * (this worker's shard) has none. `patchFeatures` [B,P,H] are the patch encoder's outputs.
 */
export function classifyLoss(head: Map<string, tf.Variable>, patchFeatures: tf.Tensor3D, rowClasses: Int32Array, imageMask: Float32Array): tf.Scalar | null {
  const rows: number[] = [];
  const labels: number[] = [];
  rowClasses.forEach((c, i) => {
    if (c >= 0 && imageMask[i]) {
      rows.push(i);
      labels.push(c);
    }
  });
  if (rows.length === 0) return null;
  return tf.tidy(() => {
    const pooled = tf.mean(patchFeatures, 1) as tf.Tensor2D; // [B,H]
    const logits = tf.add(tf.matMul(pooled, head.get(CLASSIFY_HEAD.w)!), head.get(CLASSIFY_HEAD.b)!) as tf.Tensor2D;
    // Rows without a class weigh 0 (a mask, not a gather: tf.gather's gradient is missing on wasm).
    const weight = new Float32Array(rowClasses.length);
    const safe = new Int32Array(rowClasses.length);
    rows.forEach((r, k) => {
      weight[r] = 1;
      safe[r] = labels[k]!;
    });
    const ce = crossEntropyRows(logits, tf.tensor1d(safe, "int32"));
    return tf.div(tf.sum(tf.mul(ce, tf.tensor1d(weight))), rows.length) as tf.Scalar;
  });
}

/** The head and the row classes of a run whose stage 1 classifies; null otherwise. */
export interface Stage1Classifier {
  /** The head's variables (the caller disposes them). */
  head: Map<string, tf.Variable>;
  /** Class of each catalog row (−1: none). */
  classOf: Int32Array;
}

/** The classifier a run with `stage1: "classify"` trains (null for align, text-only, or no stage 1). */
export function stage1Classifier(
  cfg: { stage1?: string; stage1Fraction: number; seed: number },
  model: { fusion: string; hidden: number },
  items: Pick<TrainingItems, "categories" | "textOnly">,
): Stage1Classifier | null {
  if (cfg.stage1 !== "classify" || cfg.stage1Fraction === 0 || model.fusion === "text") return null;
  const classes = categoryClasses(items);
  return { head: createClassifyHead(model.hidden, Math.max(1, classes.names.length), cfg.seed), classOf: classes.classOf };
}
