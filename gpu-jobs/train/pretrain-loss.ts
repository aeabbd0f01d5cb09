// The pre-training objective of one step. Stage 1 (seed 003) adapts the vision side: image↔title
// contrastive + MPM, (stage1 "classify") category classification from the patch features + MPM, or
// (stage1 "contrast") image–image contrast of two augmented views + MPM. Stage 2 trains everything on MLM + MPM + QIC + QIM (+ MBNS/CDNS, seed 001
// eq. 3) + QIM2 (+ image–image contrast), weighted by the config.
import * as tf from "@tensorflow/tfjs";
import { amSoftmaxLoss, contrastiveMpm, infoNce, logQSoftmaxLoss, mlmLoss, regressionMpm, stopGradient } from "../losses/index.ts";
import { numPatches } from "../model/config.ts";
import type { Model } from "../model/towers.ts";
import type { CrossDeviceNegatives, MemoryBank } from "../negatives/index.ts";
import { embeddingLookup } from "../tf/fast-ops.ts";
import type { HostBatch, TensorBatch } from "./batch.ts";
import type { PretrainConfig } from "./pretrain-config.ts";
import { imageContrastLoss } from "./image-contrast.ts";
import { classifyLoss, type Stage1Classifier } from "./stage1-classify.ts";

/** What a step's loss needs beyond the batch. */
export interface LossContext {
  model: Model;
  cfg: PretrainConfig;
  /** Learned temperature of contrastive MPM (a trained variable). */
  mpmTemperature: tf.Variable;
  /** log Q(item) per catalog row (click frequency), for the eq. 3 correction. */
  logQ: Float32Array;
  /** Memory-bank negatives when MBNS is on for this step, else null. */
  bank: MemoryBank | null;
  /** CDNS on for this step (≥ 2 workers): given this worker's item vectors, returns the other workers' (it waits for them); else null. */
  crossDevice: CrossDeviceSource | null;
  /** 1: vision adaptation; 2: fusion and matching. */
  stage: 1 | 2;
  /** Stage 1's category head and row classes when the run's stage 1 classifies (cfg.stage1 "classify"), else null or absent: stage 1 aligns. */
  classifier?: Stage1Classifier | null;
}

/** Shares this worker's item vectors of the step and returns the other workers' (train/pretrain-loop.ts). */
export type CrossDeviceSource = (itemVectors: tf.Tensor2D) => CrossDeviceNegatives;

/** The step's total and its parts (kept: the caller disposes), plus the item vectors for the bank. */
export interface LossResult {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
  itemVectors: tf.Tensor2D;
}

// Row gather with a scatter-based gradient: tf.gather's own gradient needs a kernel wasm lacks.
function rows<T extends tf.Tensor>(x: T, idx: number[]): T {
  const shape = x.shape;
  const flat = x.rank === 2 ? (x as unknown as tf.Tensor2D) : (tf.reshape(x, [shape[0]!, -1]) as tf.Tensor2D);
  const out = embeddingLookup(flat, tf.tensor1d(idx, "int32"));
  return (x.rank === 2 ? out : tf.reshape(out, [idx.length, ...shape.slice(1)])) as T;
}

function mpmLoss(ctx: LossContext, it: { patchStates: tf.Tensor3D | null; patchFeatures: tf.Tensor3D | null }, h: HostBatch): tf.Scalar | null {
  if (!it.patchStates || !it.patchFeatures) return null;
  const p = numPatches(ctx.model.config);
  const masked: number[] = [];
  const targetRows: number[] = [];
  const targetIndex: number[] = [];
  for (let i = 0; i < h.b; i++) {
    if (!h.imageMask[i]) continue;
    for (let j = 0; j < p; j++) {
      if (h.maskedPatches[i * p + j]) {
        masked.push(i * p + j);
        targetIndex.push(targetRows.length);
      }
      targetRows.push(i * p + j);
    }
  }
  if (masked.length === 0) return null;
  const hdim = it.patchFeatures.shape[2];
  const pred = rows(tf.reshape(ctx.model.mpmPredict(it.patchStates), [h.b * p, hdim]) as tf.Tensor2D, masked);
  const feats = tf.reshape(it.patchFeatures, [h.b * p, hdim]) as tf.Tensor2D;
  if (ctx.cfg.mpm === "regression") return regressionMpm(pred, rows(feats, masked));
  // Targets: every real patch of the batch (text-only items' blank patches are no one's original).
  return contrastiveMpm(pred, rows(feats, targetRows), tf.tensor1d(targetIndex, "int32"), ctx.mpmTemperature as unknown as tf.Scalar);
}

function mlmOn(ctx: LossContext, states: tf.Tensor3D, labels: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const len = labels.shape[1];
  const tokenStates = tf.slice(states, [0, 1, 0], [-1, len, -1]) as tf.Tensor3D; // drop [CLS]
  return mlmLoss(ctx.model.mlmLogits(tokenStates), labels, mask);
}

/** Compute the step's weighted loss (call inside tf.variableGrads). */
export function pretrainLoss(ctx: LossContext, t: TensorBatch, h: HostBatch): LossResult {
  const { cfg, model } = ctx;
  const w = cfg.weights;
  const parts: Record<string, tf.Scalar> = {};
  const withImage: number[] = [];
  for (let i = 0; i < h.b; i++) if (h.imageMask[i]) withImage.push(i);
  const add = (name: string, weight: number, loss: tf.Scalar | null) => {
    if (loss && weight > 0) parts[name] = tf.mul(loss, weight) as tf.Scalar;
  };

  const it = model.encodeItem({ titleTokens: t.titleTokens, patches: t.patches, imageMask: t.imageMask, maskedPatches: t.maskedPatches, training: true });
  if (ctx.stage === 1 && ctx.classifier) {
    // Issue #17's stage 1: the patch encoder learns the catalog's categories from the image alone.
    if (it.patchFeatures) {
      const classes = Int32Array.from(h.items, (r) => ctx.classifier!.classOf[r]!);
      add("classify", 1, classifyLoss(ctx.classifier.head, it.patchFeatures, classes, h.imageMask));
    }
    add("mpm", w.mpm, mpmLoss(ctx, it, h));
  } else if (ctx.stage === 1 && cfg.stage1 === "contrast") {
    // Issue #17's stage 1: the image side learns what tells products apart, from two views of each.
    add("contrast", 1, imageContrastLoss(model, t, withImage));
    add("mpm", w.mpm, mpmLoss(ctx, it, h));
  } else if (ctx.stage === 1) {
    // Seed 003 stage 1: the image side learns to land near its own title among the batch's.
    if (it.imageVector && withImage.length > 1) {
      const text = model.encodeItem({ titleTokens: t.titleTokens, patches: t.patches, imageMask: tf.zerosLike(t.imageMask) as tf.Tensor1D, training: true });
      add("align", 1, infoNce(rows(it.imageVector, withImage), rows(text.vector, withImage), { temperature: cfg.temperature, symmetric: true }));
    }
    add("mpm", w.mpm, mpmLoss(ctx, it, h));
  } else {
    const q = model.encodeQueryStates(t.queryTokens, { training: true });
    add("mlm", w.mlm, tf.add(mlmOn(ctx, it.tokenStates, t.titleLabels, t.titleMask), mlmOn(ctx, q.tokenStates, t.queryLabels, t.queryMask)) as tf.Scalar);
    add("mpm", w.mpm, mpmLoss(ctx, it, h));
    add("qic", w.qic, amSoftmaxLoss(q.vector, it.vector, tf.range(0, h.b, 1, "int32") as tf.Tensor1D, cfg.amSoftmax));
    if (w.qim > 0) add("qim", w.qim, qimLoss(ctx, q.vector, it.vector, h));
    if (it.imageVector && withImage.length > 1) {
      add("qim2", w.qim2, infoNce(rows(q.vector, withImage), rows(it.imageVector, withImage), { temperature: cfg.temperature }));
    }
    add("contrast", cfg.imageContrast ?? 0, imageContrastLoss(model, t, withImage));
  }
  const names = Object.keys(parts);
  const total = names.length ? (tf.addN(names.map((n) => parts[n]!)) as tf.Scalar) : (tf.scalar(0) as tf.Scalar);
  for (const n of names) tf.keep(parts[n]!);
  return { total, parts, itemVectors: tf.keep(stopGradient(it.vector)) };
}

// Seed 001 eq. 3: this worker's in-batch negatives (trained), the memory bank (α) and the other
// workers' items of the step (β), both constant, every logit corrected by −log Q.
function qimLoss(ctx: LossContext, q: tf.Tensor2D, items: tf.Tensor2D, h: HostBatch): tf.Scalar {
  const { cfg } = ctx;
  const logQ = tf.tensor1d(Array.from(h.items, (r) => ctx.logQ[r]!));
  const bank = ctx.bank?.negatives() ?? null;
  const cross = ctx.crossDevice?.(items) ?? null;
  return logQSoftmaxLoss({
    q,
    pos: items,
    inBatch: items,
    logQPos: logQ,
    logQInBatch: logQ,
    posIds: h.items,
    inBatchIds: h.items,
    temperature: cfg.temperature,
    ...(bank ? { mbns: bank.vectors, logQMbns: bank.logQ, mbnsIds: bank.ids, alpha: cfg.mbns.alpha } : {}),
    ...(cross ? { cdns: cross.vectors, logQCdns: cross.logQ, cdnsIds: cross.ids, beta: cfg.cdns.beta } : {}),
  });
}
