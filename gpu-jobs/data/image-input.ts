// The item tower's image input for a batch of catalog rows, one home for every caller (training
// batches, TF.js encoding, item.onnx feeds): thumbnail patches for the patch CNN, or the frozen
// backbone's cached features when the model was trained on a backbone — with the image mask that
// goes with them (an item whose image gave no features counts as text-only there).
import { BackboneError } from "../../encoders/index.ts";
import { TrainError } from "../errors.ts";
import type { ModelConfig } from "../model/config.ts";
import { numPatches, patchInputDim } from "../model/config.ts";
import type { TrainingItems } from "./load-training-data.ts";
import { patchesOf } from "./patches.ts";

/** What a model's image input looks like (from its config, or from an exported model's card). */
export interface ImageInputShape {
  /** Patch tokens per item. */
  tokens: number;
  /** Values per token. */
  dim: number;
  /** The backbone's features id, or null for thumbnail patches. */
  backbone: string | null;
  /** Patch grid side of thumbnail patches. Callers that know only an exported card pass the import's grid; a model may cut finer (`--patch-grid`), so imageInputOf goes by `tokens` (grid²). */
  grid: number;
}

/** The thumbnail grid a model's patch tokens fix, checked against the import's thumbnails. */
function thumbnailGrid(items: Pick<TrainingItems, "thumbSize">, shape: ImageInputShape): number {
  const grid = Math.round(Math.sqrt(shape.tokens));
  const size = items.thumbSize;
  if (grid * grid !== shape.tokens || size % grid !== 0 || (size / grid) ** 2 * 3 !== shape.dim) {
    const side = Math.round(Math.sqrt(shape.dim / 3));
    throw new TrainError(
      "BAD_OPTION",
      `the model takes ${shape.tokens} patches of ${side}×${side} pixels (${Number.isInteger(grid * side) ? `${grid * side}px thumbnails` : "another thumbnail size"}), but the import made ${size}px thumbnails; re-import with --image-size ${grid * side} or train on this import`,
    );
  }
  return grid;
}

/** The image input shape of a model config. */
export function inputShapeOf(cfg: ModelConfig): ImageInputShape {
  return { tokens: numPatches(cfg), dim: patchInputDim(cfg), backbone: cfg.patchEncoder === "backbone" ? (cfg.backbone?.id ?? null) : null, grid: cfg.patchGrid };
}

/** rows.length×tokens×dim values for `rows`: patches in [0,1], or backbone features (zeros for text-only items). */
export function imageInputOf(items: TrainingItems, rows: Int32Array, shape: ImageInputShape): Float32Array {
  const per = shape.tokens * shape.dim;
  if (shape.backbone === null) return items.thumbs.length ? patchesOf(items, rows, thumbnailGrid(items, shape)) : new Float32Array(rows.length * per);
  const f = items.features;
  if (!f || f.id !== shape.backbone) {
    throw new BackboneError(
      "BACKBONE_MISMATCH",
      `the model takes features of image encoder ${shape.backbone}, but the catalog carries ${f ? `features of ${f.id}` : "none"}; open the encoder the model was trained with (attachBackboneFeatures)`,
    );
  }
  if (f.tokens !== shape.tokens || f.dim !== shape.dim) throw new BackboneError("BACKBONE_MISMATCH", `features are ${f.tokens}×${f.dim} per item but the model takes ${shape.tokens}×${shape.dim}`);
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => {
    if (!items.textOnly[r]) out.set(f.values.subarray(r * per, (r + 1) * per), i * per);
  });
  return out;
}

/** [B] 1 where the model sees the item's image, 0 for text-only items (and, with a backbone, items it gave no features). */
export function imageMaskOf(items: TrainingItems, rows: Int32Array, shape: ImageInputShape): Float32Array {
  const missing = shape.backbone !== null && items.features?.id === shape.backbone ? items.features.missing : null;
  return Float32Array.from(rows, (r) => (items.textOnly[r] || missing?.[r] ? 0 : 1));
}
