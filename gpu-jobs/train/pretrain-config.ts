// Pre-training job configuration: the model preset plus the schedule, the task weights and the
// negative-sampling switches (DESIGN §4, seeds 000/001/003). Validated; a bad value names its field.
import { TrainError } from "../errors.ts";
import { MAX_CNN_LAYERS, PRESETS, type FusionVariant, type PresetName, type QueryTower } from "../model/config.ts";

/** Everything a pre-training run depends on (saved in every checkpoint). */
export interface PretrainConfig {
  /** Model preset: tiny (tests), cpu (demo on 2 cores), base (GPU). */
  preset: PresetName;
  /** Item tower variant (the seed 003 ablation). */
  fusion: FusionVariant;
  /** Query tower shared with the title encoder (seed 000) or separate (MAKE). */
  queryTower: QueryTower;
  /** Output vector dimension. */
  dim: number;
  /** Optimiser steps in all (stage 1 + stage 2). */
  steps: number;
  /** Share of the steps spent in stage 1, adapting the vision side (see stage1; seed 003). */
  stage1Fraction: number;
  /** Pairs per step. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Clip gradients to this global norm (0: no clipping). */
  clipNorm: number;
  /** Seed of weights, sampling, masks and dropout. */
  seed: number;
  /** Task weights: MLM, MPM, QIC, QIM, QIM2 (0 switches a task off). */
  weights: { mlm: number; mpm: number; qic: number; qim: number; qim2: number };
  /** MPM kind: contrastive (seed 001 eq. 1–2, learned τ) or regression (ablation). */
  mpm: "contrastive" | "regression";
  /** Share of title/query tokens masked for MLM, and of patches for MPM. */
  maskRate: { tokens: number; patches: number };
  /** QIC's AM-Softmax margin and scale. */
  amSoftmax: { margin: number; scale: number };
  /** Temperature of the QIM / QIM2 / stage-1 softmaxes over cosines. */
  temperature: number;
  /** Memory-bank negatives: batches kept, when they switch on, their weight α. */
  mbns: { enabled: boolean; batches: number; startFraction: number; alpha: number };
  /** Cross-device negatives: the other workers' item vectors of the step (needs ≥ 2 workers), when they switch on, their weight β. */
  cdns: { enabled: boolean; startFraction: number; beta: number };
  /** Checkpoint every N steps (and at the end). */
  checkpointEvery: number;
  /** Tokenizer vocabulary size asked for (the corpus may give fewer pieces). */
  vocabSize: number;
  /** Features id of the frozen image backbone the run trained on (runPretrain sets it from --image-encoder); absent for the patch CNN. */
  imageEncoder?: string;
  /** Data-parallel worker threads, each training on a shard of every batch (results depend on it). Absent: chosen when the run starts (train/workers.ts defaultWorkers) and recorded in its checkpoints. */
  workers?: number;
  /** Stage 1's objective: "align" (image↔title contrastive + MPM, seed 003), "classify" (the catalog's categories from the pooled patch features + MPM) or "contrast" (two augmented views of each image, title masked, told apart from the batch's other images + MPM). Absent: align. */
  stage1?: Stage1Objective;
  /** Patches per thumbnail side: grid² patch tokens of (thumbnail/grid)² pixels. Absent: the import's grid (4). */
  patchGrid?: number;
  /** The patch CNN's output channels, one per 3×3 conv layer (width and depth). Absent: the preset's (cpu 16,32). */
  cnnChannels?: number[];
  /** A whole-image token beside the patch tokens (one projection of every patch's CNN features). Absent: none. */
  globalToken?: boolean;
  /** The whole-image token's share of the fused image summary, in (0, 1); needs globalToken and fusion "fusion". Absent: a plain mean over every image token. */
  globalWeight?: number;
  /** Share of stage-2 items with an image whose title is blanked (all [PAD]) in a batch, so the image side must carry the item. Absent: 0. */
  titleDropout?: number;
  /** Weight of image–image contrastive learning in stage 2 (the "contrast" objective beside matching), needs the patch CNN. Absent: 0 (off). */
  imageContrast?: number;
}

/** What stage 1 trains the vision side on. */
export type Stage1Objective = "align" | "classify" | "contrast";

/** Stage-1 objectives, the first the default. */
export const STAGE1_OBJECTIVES: readonly Stage1Objective[] = ["align", "classify", "contrast"];

const DEFAULTS: Omit<PretrainConfig, "preset" | "steps" | "batchSize" | "lr" | "checkpointEvery"> = {
  fusion: "fusion",
  queryTower: "shared",
  dim: 128,
  // Stage 1 off by default: with stage-1 steps taken from a fixed budget it lost on held-out pairs
  // on both built-in datasets (QUALITY.md: demo unseen NDCG@10 80.1 vs 72.4 over seeds, fashion-mnist
  // 91.1 vs 88.6). `--stage1-fraction 0.2` brings seed 003's two stages back.
  stage1Fraction: 0,
  clipNorm: 2,
  seed: 1,
  weights: { mlm: 0.5, mpm: 0.5, qic: 0.5, qim: 1, qim2: 0.5 },
  mpm: "contrastive",
  maskRate: { tokens: 0.15, patches: 0.25 },
  amSoftmax: { margin: 0.2, scale: 20 },
  temperature: 0.05,
  // Off by default: over 3 seeds on the demo, in-batch negatives alone beat MBNS (unseen NDCG@10
  // 84.6 ± 2.0 vs 80.8 ± 0.4) and real cross-worker CDNS did not help (84.9 ± 1.7 vs 83.0 ± 1.2 on
  // 2 workers); QUALITY.md, "Negatives". --mbns / --cdns switch them on.
  mbns: { enabled: false, batches: 4, startFraction: 0.5, alpha: 0.5 },
  cdns: { enabled: false, startFraction: 0.3, beta: 1 },
  vocabSize: 4000,
};

/** A preset's schedule; `patchGrid` is its image side's patch grid where it has its own (absent: the import's 4×4). */
const SCHEDULES: Record<PresetName, Pick<PretrainConfig, "steps" | "batchSize" | "lr" | "checkpointEvery" | "patchGrid"> & { dim: number }> = {
  tiny: { steps: 60, batchSize: 16, lr: 3e-3, checkpointEvery: 20, dim: 16 },
  // The whole thumbnail as one patch, for 768 steps: the 4×4 grid's 600 steps' training time (the
  // 1×1 grid runs 1.28× faster). Over 3 seeds: fashion-mnist's title-masked probe 88.8 vs 81.1 and
  // unseen NDCG@10 94.0 vs 93.1; the demo's unseen NDCG@10 83.5 vs 84.9 (within one sd), its
  // R@10 and R@100 level (QUALITY.md, "The cpu preset's image side").
  cpu: { steps: 768, batchSize: 64, lr: 1e-3, checkpointEvery: 100, dim: 128, patchGrid: 1 },
  base: { steps: 20_000, batchSize: 256, lr: 1e-4, checkpointEvery: 1_000, dim: 128 },
};

/** Overrides accepted on top of a preset (nested groups merge field by field). */
export type PretrainOverrides = Partial<Omit<PretrainConfig, "weights" | "maskRate" | "amSoftmax" | "mbns" | "cdns">> & {
  weights?: Partial<PretrainConfig["weights"]>;
  maskRate?: Partial<PretrainConfig["maskRate"]>;
  amSoftmax?: Partial<PretrainConfig["amSoftmax"]>;
  mbns?: Partial<PretrainConfig["mbns"]>;
  cdns?: Partial<PretrainConfig["cdns"]>;
};

function bad(field: string, why: string, value: unknown): never {
  throw new TrainError("BAD_OPTION", `pretrain config: ${field} ${why}; got ${JSON.stringify(value)}`);
}

/** The patch grid a preset gives an image side when none is asked for (undefined: the import's, 4×4). */
export function presetPatchGrid(preset: PresetName): number | undefined {
  return SCHEDULES[preset]?.patchGrid;
}

/** Resolve a preset plus overrides into a validated config. */
export function resolvePretrainConfig(preset: PresetName, o: PretrainOverrides = {}): PretrainConfig {
  if (!(preset in PRESETS)) bad("preset", `must be one of ${Object.keys(PRESETS).join(", ")}`, preset);
  const s = SCHEDULES[preset];
  const c: PretrainConfig = {
    ...DEFAULTS,
    preset,
    steps: s.steps,
    batchSize: s.batchSize,
    lr: s.lr,
    checkpointEvery: s.checkpointEvery,
    dim: s.dim,
    // The preset's grid shapes an image side; a text-only model has none (and refuses a grid).
    ...(s.patchGrid !== undefined && (o.fusion ?? DEFAULTS.fusion) !== "text" ? { patchGrid: s.patchGrid } : {}),
    ...o,
    weights: { ...DEFAULTS.weights, ...o.weights },
    maskRate: { ...DEFAULTS.maskRate, ...o.maskRate },
    amSoftmax: { ...DEFAULTS.amSoftmax, ...o.amSoftmax },
    mbns: { ...DEFAULTS.mbns, ...o.mbns },
    cdns: { ...DEFAULTS.cdns, ...o.cdns },
  } as PretrainConfig;
  const int = (f: string, v: number, min: number) => (Number.isInteger(v) && v >= min) || bad(f, `must be a whole number ≥ ${min}`, v);
  const frac = (f: string, v: number) => (v >= 0 && v <= 1) || bad(f, "must be between 0 and 1", v);
  int("steps", c.steps, 1);
  int("batchSize", c.batchSize, 2);
  int("dim", c.dim, 2);
  int("checkpointEvery", c.checkpointEvery, 1);
  int("vocabSize", c.vocabSize, 16);
  if (c.workers !== undefined) {
    int("workers", c.workers, 1);
    if (c.workers > c.batchSize) bad("workers", `must not exceed batchSize (${c.batchSize}): every worker needs a row of each batch`, c.workers);
  }
  int("mbns.batches", c.mbns.batches, 1);
  if (!(c.lr > 0)) bad("lr", "must be > 0", c.lr);
  if (!(c.temperature > 0)) bad("temperature", "must be > 0", c.temperature);
  frac("stage1Fraction", c.stage1Fraction);
  frac("maskRate.tokens", c.maskRate.tokens);
  frac("maskRate.patches", c.maskRate.patches);
  frac("mbns.startFraction", c.mbns.startFraction);
  frac("cdns.startFraction", c.cdns.startFraction);
  for (const [k, v] of Object.entries(c.weights)) if (!(v >= 0)) bad(`weights.${k}`, "must be ≥ 0", v);
  if (!(c.mbns.alpha > 0)) bad("mbns.alpha", "must be > 0", c.mbns.alpha);
  if (!(c.cdns.beta > 0)) bad("cdns.beta", "must be > 0", c.cdns.beta);
  if (!["fusion", "concat", "text"].includes(c.fusion)) bad("fusion", "must be text, concat or fusion", c.fusion);
  if (!["shared", "separate"].includes(c.queryTower)) bad("queryTower", "must be shared or separate", c.queryTower);
  if (!["contrastive", "regression"].includes(c.mpm)) bad("mpm", "must be contrastive or regression", c.mpm);
  if (c.stage1 !== undefined) {
    if (!STAGE1_OBJECTIVES.includes(c.stage1)) bad("stage1", `must be ${STAGE1_OBJECTIVES.join(", ")}`, c.stage1);
    if (c.stage1 !== "align" && c.stage1Fraction === 0) bad("stage1", `${c.stage1} needs stage-1 steps: give stage1Fraction > 0 too (--stage1-fraction 0.2)`, c.stage1);
    if (c.stage1 !== "align" && c.fusion === "text") bad("stage1", `${c.stage1} trains the image side: use fusion fusion or concat, not text`, c.stage1);
  }
  if (c.patchGrid !== undefined) int("patchGrid", c.patchGrid, 1);
  if (c.titleDropout !== undefined) {
    if (!(c.titleDropout >= 0 && c.titleDropout < 1)) bad("titleDropout", "must be in [0, 1), e.g. 0.3", c.titleDropout);
    if (c.fusion === "text" && c.titleDropout > 0) bad("titleDropout", "blanks titles for the image side to carry: use fusion fusion or concat, not text", c.titleDropout);
  }
  if (c.imageContrast !== undefined) {
    if (!(typeof c.imageContrast === "number" && c.imageContrast >= 0 && c.imageContrast <= 10)) bad("imageContrast", "must be a weight in [0, 10], e.g. 0.5", c.imageContrast);
    if (c.fusion === "text" && c.imageContrast > 0) bad("imageContrast", "trains the image side: use fusion fusion or concat, not text", c.imageContrast);
  }
  if (c.cnnChannels !== undefined) {
    const ch = c.cnnChannels;
    if (!Array.isArray(ch) || ch.length < 1 || ch.length > MAX_CNN_LAYERS || !ch.every((x) => Number.isInteger(x) && x >= 1 && x <= 1024)) {
      bad("cnnChannels", `must be 1 to ${MAX_CNN_LAYERS} channel counts (1–1024), one per conv layer, e.g. 16,32`, ch);
    }
  }
  if (c.globalToken !== undefined && typeof c.globalToken !== "boolean") bad("globalToken", "must be true or false", c.globalToken);
  if (c.globalToken && c.fusion === "text") bad("globalToken", "adds an image token: use fusion fusion or concat, not text", c.globalToken);
  if (c.globalToken && c.patchGrid === 1)
    bad("globalToken", "adds a whole-image token beside the patches, and a 1×1 grid's one patch is the whole image already: add --patch-grid 4 (job config pretrain.patchGrid)", c.globalToken);
  if (c.globalWeight !== undefined) {
    if (!(typeof c.globalWeight === "number" && c.globalWeight > 0 && c.globalWeight < 1)) bad("globalWeight", "must be in (0, 1), e.g. 0.5", c.globalWeight);
    if (!c.globalToken) bad("globalWeight", "weights the whole-image token: add --global-token (job config pretrain.globalToken)", c.globalWeight);
    if (c.fusion !== "fusion") bad("globalWeight", "weights the fused image summary: use fusion fusion", c.globalWeight);
  }
  if ((c.patchGrid !== undefined || c.cnnChannels !== undefined) && c.fusion === "text")
    bad(c.patchGrid !== undefined ? "patchGrid" : "cnnChannels", "shapes the image side: use fusion fusion or concat, not text", c.patchGrid ?? c.cnnChannels);
  return c;
}
