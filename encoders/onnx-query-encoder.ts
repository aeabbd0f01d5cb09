// The trained query tower as a TextEmbedder: tokenizer (padded to the graph's fixed length) →
// query.onnx. Publish computes the qid lists with it, the API encodes qid misses with it.
import { join, resolve } from "node:path";
import type { TextEmbedder } from "../core/index.ts";
import { ONNX_ENCODER_NAME } from "./names.ts";
import { loadOrt, openSession, readModelDir, rowsOf } from "./onnx-model.ts";

export { ONNX_ENCODER_NAME } from "./names.ts";

/** Open `<modelDir>/query.onnx` as a query encoder. */
export async function createOnnxQueryEncoder(modelDir: string): Promise<TextEmbedder & { provider: string }> {
  const dir = resolve(modelDir);
  const { card, tokenizer } = await readModelDir(dir);
  const { session, provider } = await openSession(join(dir, "query.onnx"));
  const ort = await loadOrt();
  const { dim, maxQueryLen } = card.dims;
  return {
    name: ONNX_ENCODER_NAME,
    dim,
    provider,
    // A model trained on an image backbone records it on the release (its item vectors hold that backbone's features).
    config: { modelDir: dir, createdAt: card.createdAt, ...(card.backbone ? { imageEncoder: `${card.backbone.file} (sha256 ${card.backbone.sha256}, features ${card.backbone.id})` } : {}) },
    async encode(texts: string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      const tokens = new ort.Tensor("int32", tokenizer.encodeBatch(texts, maxQueryLen), [texts.length, maxQueryLen]);
      const out = await session.run({ tokens });
      return rowsOf(out.vector!.data as Float32Array, dim);
    },
  };
}
