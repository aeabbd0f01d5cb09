// Image–image contrastive learning (issue #17; SimCLR's objective on the item tower): two augmented
// views of each item's thumbnail go through the item tower with the title masked (all [PAD], as
// the masked probe feeds it), and each view must pick its twin among the batch's other images.
// It teaches the image side what tells products apart without a title or a category to lean on:
// as stage 1 ("--stage1 contrast") before matching, or beside matching in stage 2 (--image-contrast W).
import * as tf from "@tensorflow/tfjs";
import { SPECIAL_TOKENS } from "../../encoders/index.ts";
import { infoNce } from "../losses/index.ts";
import type { Model } from "../model/towers.ts";
import { embeddingLookup } from "../tf/fast-ops.ts";
import type { TensorBatch } from "./batch.ts";
import type { PretrainConfig } from "./pretrain-config.ts";

/** Softmax temperature over the views' cosines: SimCLR's range (0.1–0.5) for a batch of tens, softer than matching's 0.05. */
export const IMAGE_CONTRAST_TEMPERATURE = 0.1;

/** Whether a step of `stage` learns image–image contrast (and so needs the batch's augmented views). */
export function learnsImageContrast(cfg: Pick<PretrainConfig, "stage1" | "stage1Fraction" | "imageContrast" | "fusion">, stage: 1 | 2): boolean {
  if (cfg.fusion === "text") return false;
  return stage === 1 ? cfg.stage1 === "contrast" && cfg.stage1Fraction > 0 : (cfg.imageContrast ?? 0) > 0;
}

/** The symmetric InfoNCE of the two views' title-masked item vectors over the rows with an image; null with fewer than 2. */
export function imageContrastLoss(model: Model, t: TensorBatch, withImage: number[]): tf.Scalar | null {
  if (!t.viewA || !t.viewB || withImage.length < 2) return null;
  const b = t.titleTokens.shape[0];
  const masked = tf.fill([b, t.titleTokens.shape[1]], SPECIAL_TOKENS.PAD, "int32") as tf.Tensor2D;
  const idx = tf.tensor1d(withImage, "int32");
  // Row gather with a scatter gradient (tf.gather's gradient is missing on wasm).
  const view = (patches: tf.Tensor3D) => embeddingLookup(model.encodeItem({ titleTokens: masked, patches, imageMask: t.imageMask, training: true }).vector, idx) as tf.Tensor2D;
  return infoNce(view(t.viewA), view(t.viewB), { temperature: IMAGE_CONTRAST_TEMPERATURE, symmetric: true });
}
