// The query encoder a release's vectors were made with, rebuilt from the encoder record stored on
// the release: serving encodes qid misses with it, the retrain gate scores the active release with it.
import { createHashEncoder, HASH_ENCODER_NAME, type TextEmbedder } from "../core/index.ts";
// The name alone: importing onnx-query-encoder.ts would load ONNX Runtime on hash-only servers.
import { ONNX_ENCODER_NAME } from "./names.ts";
import { EncoderUnavailableError } from "./errors.ts";

/** The encoder record of a release (name, dimension, config). */
export interface EncoderRecord {
  /** Encoder (model) name. */
  name: string;
  /** Vector dimension. */
  dim: number;
  /** Its config: enough to rebuild it (hash seed, or the ONNX model folder). */
  config: Record<string, number | string>;
}

/** Rebuild the query encoder from a release's encoder record. */
export async function queryEncoderFor(enc: EncoderRecord, release: string): Promise<TextEmbedder> {
  const { name, dim, config } = enc;
  if (name === HASH_ENCODER_NAME) {
    return createHashEncoder({
      dim,
      ...(config.seed !== undefined ? { seed: Number(config.seed) } : {}),
      ...(config.trigramWeight !== undefined ? { trigramWeight: Number(config.trigramWeight) } : {}),
    });
  }
  if (name === ONNX_ENCODER_NAME && typeof config.modelDir === "string") {
    const { createOnnxQueryEncoder } = await import("./onnx-query-encoder.ts");
    return createOnnxQueryEncoder(config.modelDir);
  }
  throw new EncoderUnavailableError(`release ${release} was made with model "${name}", which this server cannot load a query encoder for`);
}
