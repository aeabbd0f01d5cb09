import { createHashEncoder, HASH_ENCODER_NAME, type TextEncoder } from "../../core/index.ts";
import type { ReleaseHandles } from "../../lancedb/index.ts";
import { ServiceError } from "./types.ts";

/** Rebuild the query encoder a release's vectors were made with, from its stored config. */
export async function queryEncoderFor(handles: ReleaseHandles): Promise<TextEncoder> {
  const { name, dim, config } = handles.encoder;
  if (name === HASH_ENCODER_NAME) {
    return createHashEncoder({
      dim,
      ...(config.seed !== undefined ? { seed: Number(config.seed) } : {}),
      ...(config.trigramWeight !== undefined ? { trigramWeight: Number(config.trigramWeight) } : {}),
    });
  }
  if (name === "vitrine-onnx-v1" && typeof config.modelDir === "string") {
    // Loaded lazily so a server of hash releases never loads ONNX Runtime.
    const { createOnnxQueryEncoder } = await import("../../encoders/onnx-query-encoder.ts");
    return createOnnxQueryEncoder(config.modelDir);
  }
  throw new ServiceError("UNAVAILABLE", `release ${handles.info.id} was made with model "${name}", which this server cannot load a query encoder for`);
}
