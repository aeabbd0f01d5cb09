// The item graph's inputs for a batch of catalog rows (title tokens, patches, image mask), shared
// by `vitrine embed` and the probe of an exported model, which also feeds empty titles.
import type * as Ort from "onnxruntime-node";
import type { ModelCardLite, Tokenizer } from "../../encoders/index.ts";
import { imageInputOf, imageMaskOf, type TrainingItems } from "../data/index.ts";

/** What itemFeeds builds. */
export interface ItemFeedOptions {
  /** Every title position [PAD]: only the image side reaches the vector (default false). */
  maskTitle?: boolean;
  /** The model card's image backbone id: `patches` then carries its features (default null: thumbnail patches). */
  backbone?: string | null;
}

/** item.onnx feeds for `rows` of the catalog. */
export function itemFeeds(ort: typeof Ort, items: TrainingItems, rows: Int32Array, tokenizer: Tokenizer, dims: ModelCardLite["dims"], opts: ItemFeedOptions = {}): Record<string, Ort.Tensor> {
  const b = rows.length;
  const { maxTitleLen, patches: P, patchDim } = dims;
  const image = { tokens: P, dim: patchDim, backbone: opts.backbone ?? null, grid: items.grid };
  const titles = opts.maskTitle
    ? new Int32Array(b * maxTitleLen).fill(dims.padId)
    : tokenizer.encodeBatch(
        Array.from(rows, (r) => items.titles[r]!),
        maxTitleLen,
      );
  return {
    title_tokens: new ort.Tensor("int32", titles, [b, maxTitleLen]),
    patches: new ort.Tensor("float32", imageInputOf(items, rows, image), [b, P, patchDim]),
    image_mask: new ort.Tensor("float32", imageMaskOf(items, rows, image), [b]),
  };
}
