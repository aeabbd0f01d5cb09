// A lexical baseline encoder: hashed bag of words plus character trigrams. It lets publish and
// serve run end to end before a trained model exists, and it is the floor a model must beat.
import type { TextEmbedder } from "./encoder.ts";
import { murmur3 } from "./murmur3.ts";
import { segment } from "./segment.ts";

/** Options of the hash encoder. */
export interface HashEncoderOptions {
  /** Number of hash buckets = vector dimension (default 128). */
  dim?: number;
  /** Hash seed; a different seed gives a different, equally good, projection (default 0). */
  seed?: number;
  /** Weight of each character trigram relative to a whole term (default 0.25). */
  trigramWeight?: number;
}

/** Name recorded in releases published with this encoder. */
export const HASH_ENCODER_NAME = "hash-bow-v1";

// Texts with no terms at all ("???") still get a unit vector: one fixed bucket, so they match each
// other and nothing else, and cosine distance never sees a zero vector.
const EMPTY_TOKEN = "\u0000empty";

/** Add `weight` to the bucket of `token`, signed by the hash's top bit (the hashing trick's sign). */
function addToken(out: Float32Array, token: string, weight: number, seed: number): void {
  const h = murmur3(token, seed);
  out[h % out.length]! += h >>> 31 ? -weight : weight;
}

/** Encode one text: terms at weight 1, `#term#` character trigrams at `trigramWeight`, L2-normalised. */
function encodeOne(text: string, dim: number, seed: number, trigramWeight: number): Float32Array {
  const v = new Float32Array(dim);
  const terms = segment(text);
  if (terms.length === 0) addToken(v, EMPTY_TOKEN, 1, seed);
  for (const term of terms) {
    addToken(v, `w:${term}`, 1, seed);
    if (trigramWeight === 0) continue;
    const chars = Array.from(`#${term}#`);
    for (let i = 0; i + 3 <= chars.length; i++) addToken(v, `t:${chars[i]}${chars[i + 1]}${chars[i + 2]}`, trigramWeight, seed);
  }
  let norm = 0;
  for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!;
  // Signed buckets can cancel out exactly; fall back to the empty token rather than divide by zero.
  if (norm === 0) {
    addToken(v, EMPTY_TOKEN, 1, seed);
    norm = 1;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i]! *= inv;
  return v;
}

/** The hash encoder: a TextEmbedder whose encode is synchronous. */
export interface HashEncoder extends TextEmbedder {
  /** Always "hash-bow-v1". */
  name: typeof HASH_ENCODER_NAME;
  /** Encode texts synchronously. */
  encode(texts: string[]): Float32Array[];
}

/** Create the feature-hashing baseline text encoder ("hash-bow-v1"). */
export function createHashEncoder(opts: HashEncoderOptions = {}): HashEncoder {
  const dim = opts.dim ?? 128;
  const seed = opts.seed ?? 0;
  const trigramWeight = opts.trigramWeight ?? 0.25;
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`hash encoder dim must be an integer ≥ 2, got ${dim}`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`hash encoder seed must be an integer ≥ 0, got ${seed}`);
  return {
    name: HASH_ENCODER_NAME,
    dim,
    config: { dim, seed, trigramWeight },
    encode: (texts) => texts.map((t) => encodeOne(t, dim, seed, trigramWeight)),
  };
}
