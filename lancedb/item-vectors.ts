// Item vectors for a release: from the caller (a trained model's embeddings) or the encoder,
// checked and L2-normalised so inner product, cosine and LanceDB's cosine distance all agree.
import type { TextEmbedder } from "../core/index.ts";
import type { CatalogColumns } from "./catalog-source.ts";
import { StoreError } from "./errors.ts";

/** Texts encoded per encoder call when vectors come from the encoder. */
const ENCODE_BATCH = 512;

/** Normalise `v` into `out` at `offset`; throws on a wrong length or a non-finite or zero vector. */
function putUnit(out: Float32Array, offset: number, v: Float32Array, dim: number, what: string): void {
  if (v.length !== dim) throw new StoreError("BAD_VECTORS", `${what} has ${v.length} dimensions; the release has ${dim}`);
  let norm = 0;
  for (let j = 0; j < dim; j++) norm += v[j]! * v[j]!;
  if (!Number.isFinite(norm) || norm === 0) throw new StoreError("BAD_VECTORS", `${what} is ${norm === 0 ? "all zeros" : "not finite"}`);
  const inv = 1 / Math.sqrt(norm);
  for (let j = 0; j < dim; j++) out[offset + j] = v[j]! * inv;
}

/** Check and L2-normalise a batch of vectors (returns copies). */
export function checkedUnitVectors(vs: readonly Float32Array[], dim: number, what: string): Float32Array[] {
  return vs.map((v, i) => {
    const out = new Float32Array(dim);
    putUnit(out, 0, v, dim, `${what} vector ${i}`);
    return out;
  });
}

/** The text the baseline embeds an item from: title, brand and category. */
export function itemText(cat: CatalogColumns, i: number): string {
  return [cat.titles[i], cat.brands[i], cat.categories[i]].filter((s): s is string => !!s).join(" ");
}

/** Encode every item's text with `encoder` into one flat n×dim matrix, catalog order. */
export async function encodeItems(cat: CatalogColumns, encoder: TextEmbedder, onProgress?: (done: number) => void): Promise<Float32Array> {
  const n = cat.ids.length;
  const out = new Float32Array(n * encoder.dim);
  for (let s = 0; s < n; s += ENCODE_BATCH) {
    const e = Math.min(n, s + ENCODE_BATCH);
    const texts = Array.from({ length: e - s }, (_, k) => itemText(cat, s + k));
    const vs = await encoder.encode(texts);
    if (vs.length !== texts.length) throw new StoreError("BAD_VECTORS", `encoder ${encoder.name} returned ${vs.length} vectors for ${texts.length} texts`);
    vs.forEach((v, k) => putUnit(out, (s + k) * encoder.dim, v, encoder.dim, `vector of item ${JSON.stringify(cat.ids[s + k])}`));
    onProgress?.(e);
  }
  return out;
}

/** Gather caller-supplied vectors into catalog order; every catalog item must have one. */
export async function collectItemVectors(cat: CatalogColumns, source: AsyncIterable<{ id: string; vector: Float32Array }>, dim: number, onProgress?: (done: number) => void): Promise<Float32Array> {
  const row = new Map(cat.ids.map((id, i) => [id, i]));
  const out = new Float32Array(cat.ids.length * dim);
  const seen = new Uint8Array(cat.ids.length);
  let unknown = 0;
  let done = 0;
  for await (const { id, vector } of source) {
    const i = row.get(id);
    if (i === undefined) {
      unknown++;
      continue;
    }
    putUnit(out, i * dim, vector, dim, `vector of item ${JSON.stringify(id)}`);
    if (!seen[i]) done++;
    seen[i] = 1;
    if (done % 4_096 === 0) onProgress?.(done);
  }
  if (done < cat.ids.length) {
    const missing = cat.ids.filter((_, i) => !seen[i]);
    throw new StoreError(
      "BAD_VECTORS",
      `${missing.length} catalog item(s) have no vector (first: ${missing
        .slice(0, 3)
        .map((m) => JSON.stringify(m))
        .join(", ")}); re-run \`vitrine embed\`` + (unknown ? `; ${unknown} vector(s) were for ids not in the catalog` : ""),
    );
  }
  onProgress?.(done);
  return out;
}
