// The contract every text encoder meets: the hash baseline here in core, the ONNX query/item
// encoders later (issues 3/4). Publish and serve depend on this interface only.

/** Turns texts into L2-normalised vectors of a fixed dimension. */
export interface TextEmbedder {
  /** Model name recorded in each release (e.g. "hash-bow-v1", or an ONNX model's name). */
  name: string;
  /** Vector dimension. */
  dim: number;
  /** What is needed to rebuild the same encoder at serve time (seeds, file hashes); stored with the release. */
  config?: Record<string, number | string>;
  /** Encode a batch of texts; one vector of length `dim` per text, in order. */
  encode(texts: string[]): Promise<Float32Array[]> | Float32Array[];
}
