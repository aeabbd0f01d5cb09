// Model configuration: three presets (DESIGN.md §4) and a validated merge of overrides.
import { TrainError } from "../errors.ts";
import type { AttentionImpl } from "../tf/fast-ops.ts";
import type { BackboneRecord } from "../../encoders/index.ts";

/** How the item tower combines title and image (the ablations of seed 003). */
export type FusionVariant = "text" | "concat" | "fusion";

/** Whether queries run through the item tower's text encoder or their own (MAKE). */
export type QueryTower = "shared" | "separate";

/** Everything that fixes the model's shape and initial weights. */
export interface ModelConfig {
  /** Token vocabulary size (the tokeniser's, pad id included). */
  vocabSize: number;
  /** Id of the padding token; positions holding it are masked out. */
  padId: number;
  /** Transformer width H. */
  hidden: number;
  /** Transformer layers per encoder. */
  layers: number;
  /** Attention heads; must divide hidden. */
  heads: number;
  /** Feed-forward inner width. */
  ffn: number;
  /** Longest title in tokens (without [CLS]/[SEP]). */
  maxTitleLen: number;
  /** Longest query in tokens (without [CLS]). */
  maxQueryLen: number;
  /** Output vector dimension. */
  dim: number;
  /** Patches per image side: patchGrid² patch tokens per item. */
  patchGrid: number;
  /** Pixels per patch side (16 for 64×64 thumbnails in a 4×4 grid); a multiple of 2^(CNN layers): every layer pools 2×. */
  patchSize: number;
  /** A whole-image token beside the grid's patch tokens: one projection of every patch's CNN features together (the garment's global shape, which no single patch sees). Patch CNN only. */
  globalToken: boolean;
  /** The whole-image token's share of the fused image summary the modal gate mixes with the text (globalToken, fusion "fusion"): (1 − w)·mean(patch states) + w·token state. null: a plain mean over every image token (1/(P+1) each). */
  globalWeight: number | null;
  /** Patch encoder: the small CNN over pixels, or a trainable linear projection of a frozen ONNX backbone's features. */
  patchEncoder: "cnn" | "backbone";
  /** The frozen image backbone whose features the item tower takes (patchEncoder "backbone"), else null. */
  backbone: BackboneRecord | null;
  /** Output channels of the CNN's 3×3 convolutions, one per layer (its depth; each layer pools 2×). */
  cnnChannels: number[];
  /** Item tower variant: title only, separate text+image vectors, or single stream + modal gate. */
  fusion: FusionVariant;
  /** Query tower: the item tower's text encoder, or a separate encoder (shares token embeddings). */
  queryTower: QueryTower;
  /** Learned per-item gate between text and image summaries (MAKE); fusion variant only. */
  modalGate: boolean;
  /** Dropout rate while training (0 disables). */
  dropout: number;
  /** Seed of every initial weight and of dropout. */
  seed: number;
  /** Attention product kernel: "auto" = depthwise conv on wasm, batched matMul elsewhere. */
  attention: AttentionImpl;
}

const TINY: ModelConfig = {
  vocabSize: 512,
  padId: 0,
  hidden: 32,
  layers: 1,
  heads: 2,
  ffn: 64,
  maxTitleLen: 16,
  maxQueryLen: 8,
  dim: 16,
  patchGrid: 4,
  patchSize: 16,
  globalToken: false,
  globalWeight: null,
  patchEncoder: "cnn",
  backbone: null,
  cnnChannels: [4, 8],
  fusion: "fusion",
  queryTower: "shared",
  modalGate: true,
  dropout: 0,
  seed: 1,
  attention: "auto",
};

/** Named presets: tiny (tests, seconds), cpu (the demo, minutes on 2 cores), base (a GPU). */
export const PRESETS: Readonly<Record<"tiny" | "cpu" | "base", Readonly<ModelConfig>>> = {
  tiny: TINY,
  cpu: {
    ...TINY,
    vocabSize: 8000,
    hidden: 128,
    layers: 2,
    heads: 4,
    ffn: 256,
    maxTitleLen: 24,
    maxQueryLen: 12,
    dim: 128,
    cnnChannels: [16, 32],
    dropout: 0.1,
  },
  base: {
    ...TINY,
    vocabSize: 30000,
    hidden: 768,
    layers: 12,
    heads: 12,
    ffn: 3072,
    maxTitleLen: 48,
    maxQueryLen: 16,
    dim: 128,
    cnnChannels: [32, 64],
    dropout: 0.1,
  },
};

/** A preset's name. */
export type PresetName = keyof typeof PRESETS;

/** Most convolution layers the patch CNN may have (each pools 2×: a 16-pixel patch ends at 1×1 after 4). */
export const MAX_CNN_LAYERS = 4;

function bad(field: string, why: string, value: unknown): never {
  throw new TrainError("BAD_OPTION", `model config: ${field} ${why}; got ${JSON.stringify(value)}`);
}

function positiveInt(cfg: ModelConfig, field: keyof ModelConfig): void {
  const v = cfg[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) bad(field, "must be a positive integer", v);
}

/** Check every field; throws TrainError BAD_OPTION naming the first bad one. */
export function validateConfig(cfg: ModelConfig): ModelConfig {
  for (const f of ["vocabSize", "hidden", "layers", "heads", "ffn", "maxTitleLen", "maxQueryLen", "dim", "patchGrid", "patchSize"] as const) {
    positiveInt(cfg, f);
  }
  if (!Number.isInteger(cfg.padId) || cfg.padId < 0 || cfg.padId >= cfg.vocabSize) bad("padId", "must be an id below vocabSize", cfg.padId);
  if (cfg.hidden % cfg.heads !== 0) bad("heads", `must divide hidden (${cfg.hidden})`, cfg.heads);
  // Checkpoints from before the whole-image token have no field: read as false.
  if (cfg.globalToken !== undefined && typeof cfg.globalToken !== "boolean") bad("globalToken", "must be a boolean", cfg.globalToken);
  if (cfg.globalToken && cfg.patchEncoder !== "cnn") bad("globalToken", "needs the patch CNN (a backbone's features bring their own pooled token)", cfg.globalToken);
  // Checkpoints from before the token's weight have no field: read as null (the plain mean).
  const gw = cfg.globalWeight ?? null;
  if (gw !== null && !(typeof gw === "number" && gw > 0 && gw < 1)) bad("globalWeight", "must be a number in (0, 1), or null for the plain mean", gw);
  if (gw !== null && !cfg.globalToken) bad("globalWeight", "weights the whole-image token: set globalToken too", gw);
  if (gw !== null && cfg.fusion !== "fusion") bad("globalWeight", 'weights the fused image summary: fusion "fusion" only', gw);
  if (cfg.patchEncoder !== "cnn" && cfg.patchEncoder !== "backbone") bad("patchEncoder", 'must be "cnn" or "backbone"', cfg.patchEncoder);
  // Checkpoints from before backbones have no field: read as null.
  const bb = cfg.backbone ?? null;
  if ((cfg.patchEncoder === "backbone") !== (bb !== null)) bad("backbone", 'must be set exactly when patchEncoder is "backbone"', bb);
  if (bb && !(Number.isInteger(bb.tokens) && bb.tokens > 0 && Number.isInteger(bb.featureDim) && bb.featureDim > 0 && typeof bb.id === "string")) {
    bad("backbone", "must record the backbone's id, tokens and featureDim", bb);
  }
  const ch = cfg.cnnChannels;
  if (!Array.isArray(ch) || ch.length < 1 || ch.length > MAX_CNN_LAYERS || !ch.every((c) => Number.isInteger(c) && c > 0 && c <= 1024)) {
    bad("cnnChannels", `must be 1 to ${MAX_CNN_LAYERS} channel counts (1–1024), one per layer`, ch);
  }
  // Every layer halves the patch side: it must survive them all.
  const pool = 2 ** ch.length;
  if (cfg.patchEncoder === "cnn" && cfg.patchSize % pool !== 0) {
    bad("patchSize", `must be a multiple of ${pool} for a ${ch.length}-layer CNN (thumbnail side / patch grid); use a coarser grid, a larger thumbnail or fewer layers`, cfg.patchSize);
  }
  if (!["text", "concat", "fusion"].includes(cfg.fusion)) bad("fusion", 'must be "text", "concat" or "fusion"', cfg.fusion);
  if (!["shared", "separate"].includes(cfg.queryTower)) bad("queryTower", 'must be "shared" or "separate"', cfg.queryTower);
  if (typeof cfg.modalGate !== "boolean") bad("modalGate", "must be a boolean", cfg.modalGate);
  if (typeof cfg.dropout !== "number" || !(cfg.dropout >= 0 && cfg.dropout < 1)) bad("dropout", "must be in [0, 1)", cfg.dropout);
  if (!Number.isInteger(cfg.seed)) bad("seed", "must be an integer", cfg.seed);
  if (!["auto", "depthwise", "batched"].includes(cfg.attention)) bad("attention", 'must be "auto", "depthwise" or "batched"', cfg.attention);
  return cfg;
}

/** A preset with overrides applied, validated (unknown fields are rejected by name). */
export function resolveConfig(preset: PresetName = "cpu", overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base = PRESETS[preset];
  if (!base) bad("preset", `must be one of ${Object.keys(PRESETS).join(", ")}`, preset);
  for (const key of Object.keys(overrides)) {
    if (!(key in base)) bad(key, "is not a model config field", (overrides as Record<string, unknown>)[key]);
  }
  const merged: ModelConfig = { ...base, cnnChannels: [...base.cnnChannels], ...overrides };
  if (merged.backbone && overrides.patchEncoder === undefined) merged.patchEncoder = "backbone";
  return validateConfig(merged);
}

/** Patch tokens per item: the grid's patches, or the backbone's tokens. */
export function numPatches(cfg: ModelConfig): number {
  return cfg.patchEncoder === "backbone" && cfg.backbone ? cfg.backbone.tokens : cfg.patchGrid * cfg.patchGrid;
}

/** Image tokens the transformer sees: the patches, plus the whole-image token when the config has one. */
export function numImageTokens(cfg: ModelConfig): number {
  return numPatches(cfg) + (cfg.globalToken ? 1 : 0);
}

/** Values per patch token the item tower takes: patchSize²·3 pixels, or the backbone's channels. */
export function patchInputDim(cfg: ModelConfig): number {
  return cfg.patchEncoder === "backbone" && cfg.backbone ? cfg.backbone.featureDim : cfg.patchSize * cfg.patchSize * 3;
}
