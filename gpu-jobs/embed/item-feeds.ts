// The item graph's inputs for a batch of catalog rows (title tokens, patches, image mask), shared
// by `vitrine embed` and the probe of an exported model, which also feeds empty titles.
import type * as Ort from "onnxruntime-node";
import type { ModelCardLite, Tokenizer } from "../../encoders/index.ts";
import { patchesOf, type TrainingItems } from "../data/index.ts";

/** What itemFeeds builds. */
export interface ItemFeedOptions {
  /** Every title position [PAD]: only the image side reaches the vector (default false). */
  maskTitle?: boolean;
}

/** item.onnx feeds for `rows` of the catalog. */
export function itemFeeds(ort: typeof Ort, items: TrainingItems, rows: Int32Array, tokenizer: Tokenizer, dims: ModelCardLite["dims"], opts: ItemFeedOptions = {}): Record<string, Ort.Tensor> {
  const b = rows.length;
  const { maxTitleLen, patches: P, patchDim } = dims;
  const titles = opts.maskTitle
    ? new Int32Array(b * maxTitleLen).fill(dims.padId)
    : tokenizer.encodeBatch(
        Array.from(rows, (r) => items.titles[r]!),
        maxTitleLen,
      );
  return {
    title_tokens: new ort.Tensor("int32", titles, [b, maxTitleLen]),
    patches: new ort.Tensor("float32", items.thumbs.length ? patchesOf(items, rows, items.grid) : new Float32Array(b * P * patchDim), [b, P, patchDim]),
    image_mask: new ort.Tensor(
      "float32",
      Float32Array.from(rows, (r) => (items.textOnly[r] ? 0 : 1)),
      [b],
    ),
  };
}
