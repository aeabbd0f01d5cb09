// Synthetic data for bench/retrieve.ts, deterministic by seed, and the release built from it through
// the real store code (items table, scalar + vector indexes, qids table, lexicon, releases row, pointer).
import { countLexiconValues, createHashEncoder, HASH_ENCODER_NAME, mulberry32, queryId, weightedIndexSampler } from "../../core/index.ts";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { stageTimer } from "../bench-utils.ts";
import * as lancedb from "@lancedb/lancedb";
import {
  appendReleaseRow,
  arrow,
  assertIndexesComplete,
  buildScalarIndexes,
  buildVectorIndex,
  float32ListColumn,
  ivfTable,
  openStore,
  planScalarIndexes,
  planVectorIndex,
  QIDS_SCHEMA,
  releaseTables,
  tableOf,
  uint32Column,
  utf8Column,
  utf8ListColumn,
  writeItemsTable,
  writeIvfTable,
  writeLexiconTable,
  writePointer,
  type CatalogColumns,
  type ReleaseRow,
  type VectorIndexOptions,
} from "../../lancedb/index.ts";

/** Shape of the synthetic data set. */
export interface SynthSpec {
  items: number;
  qids: number;
  seed: number;
  dim: number;
  /** Gaussian cluster centres the item vectors are drawn around. */
  clusters: number;
  brands: number;
  categories: number;
  /** Length of each synthetic qid list. */
  listK: number;
  /** LanceDB ANN index kind; "none" builds none (the release is served from memory: exact scans and the in-memory IVF). */
  ann: NonNullable<VectorIndexOptions["ann"]> | "none";
  /**
   * Catalog-like titles (brand, material, category word and Zipf-drawn words of a vocabulary of
   * TITLE_VOCABULARY) and a release that serves the BM25 channel beside the vectors at a fixed blend
   * (default false: short titles, vectors alone). Every other column is the same either way.
   */
  lexical?: boolean;
}

/** Build times of a cached data dir, in seconds. */
export interface BuildInfo {
  spec: SynthSpec;
  seconds: Record<string, number>;
}

/** Small fast deterministic PRNG (mulberry32, core/rng.ts). */
export const rng = mulberry32;

/** Standard normal draws (Box–Muller, both outputs used). */
export function gauss(r: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(r(), 1e-12),
      v = r();
    const m = Math.sqrt(-2 * Math.log(u));
    spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  };
}

/** Zipf(s) sampler over ranks 0..n-1 by inverse CDF (binary search). */
export function zipf(n: number, s: number, r: () => number): () => number {
  return weightedIndexSampler(
    Float64Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s)),
    r,
  );
}

function normalise(v: Float32Array, o = 0, dim = v.length): void {
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[o + d]! * v[o + d]!;
  const inv = 1 / Math.sqrt(s);
  for (let d = 0; d < dim; d++) v[o + d]! *= inv;
}

/** The cluster centres (unit vectors), regenerated from the seed alone. */
export function clusterCentres(spec: SynthSpec): Float32Array {
  const g = gauss(rng(spec.seed * 7919 + 1));
  const c = new Float32Array(spec.clusters * spec.dim);
  for (let i = 0; i < c.length; i++) c[i] = g();
  for (let k = 0; k < spec.clusters; k++) normalise(c, k * spec.dim, spec.dim);
  return c;
}

/** Size of the noise added to a centre (items and queries alike): cosine to the centre ≈ 0.78. */
export const NOISE = 0.8;

/** A query vector: a cluster centre plus noise of the same size as items', normalised. */
export function perturbedCentre(spec: SynthSpec, centres: Float32Array, k: number, g: () => number): Float32Array {
  const q = new Float32Array(spec.dim);
  const sigma = NOISE / Math.sqrt(spec.dim);
  for (let d = 0; d < spec.dim; d++) q[d] = centres[k * spec.dim + d]! + sigma * g();
  normalise(q);
  return q;
}

const TOPS = ["Women", "Men", "Kids", "Home", "Beauty", "Sports", "Shoes", "Bags", "Jewelry", "Electronics"];
const MATERIALS = [
  "cotton",
  "linen",
  "silk",
  "wool",
  "denim",
  "leather",
  "polyester",
  "nylon",
  "cashmere",
  "viscose",
  "suede",
  "canvas",
  "satin",
  "velvet",
  "rayon",
  "spandex",
  "fleece",
  "jersey",
  "tweed",
  "mesh",
];
const SIZES = ["XS", "S", "M", "L", "XL", "XXL"];
const WORDS = [
  "red",
  "blue",
  "black",
  "white",
  "green",
  "floral",
  "striped",
  "slim",
  "loose",
  "summer",
  "winter",
  "vintage",
  "casual",
  "formal",
  "long",
  "short",
  "mini",
  "maxi",
  "pleated",
  "plaid",
  "oversized",
  "cropped",
  "high",
  "waist",
  "v",
  "neck",
  "sleeve",
  "sleeveless",
  "hooded",
  "zip",
  "button",
  "lace",
  "print",
  "solid",
  "pink",
  "yellow",
  "grey",
  "navy",
  "beige",
  "brown",
];

/** Size of the catalog-title vocabulary (spec.lexical): words drawn Zipf(1.0), so a few are in most titles and most are rare. */
export const TITLE_VOCABULARY = 4000;
/** The vector weight of a spec.lexical release: a fixed 0.5, not fitted (the bench measures speed; there are no clicks to fit on). */
export const BENCH_BLEND = { method: "convex", weight: 0.5 } as const;

/** TITLE_VOCABULARY distinct pronounceable words ("kavo", "mirelu"), rank 0 most common; the same for every seed. */
export const titleVocabulary: () => readonly string[] = (() => {
  let words: string[] | null = null;
  return () => {
    if (words) return words;
    const r = rng(104_729);
    const C = "bdfgklmnprtvz",
      V = "aeiou";
    const syllable = () => C[Math.floor(r() * C.length)]! + V[Math.floor(r() * V.length)]!;
    const seen = new Set<string>([...WORDS, ...MATERIALS]);
    words = [...WORDS]; // the common words first, then made-up ones (2-3 syllables, ending in a vowel: no plural folding)
    while (words.length < TITLE_VOCABULARY) {
      const w = syllable() + syllable() + (r() < 0.5 ? syllable() : "");
      if (!seen.has(w)) {
        seen.add(w);
        words.push(w);
      }
    }
    return words;
  };
})();

/** Draws of catalog-title text: words of the vocabulary by Zipf rank, and whole titles. */
/** The word a shopper types for a category path ("Women>Tops 3" → "tops"). */
function categoryWord(path: string): string {
  return path.split(">")[1]!.split(" ")[0]!.toLowerCase();
}

function titleWords(r: () => number): () => string {
  const vocab = titleVocabulary();
  const rank = zipf(vocab.length, 1.0, r);
  return () => vocab[rank()]!;
}

/** Category path of rank i ("Women>Dresses 17"-like: 10 top levels × 30 leaves). */
export const categoryName = (i: number) => `${TOPS[i % TOPS.length]}>${["Tops", "Dresses", "Pants", "Coats", "Skirts", "Boots"][Math.floor(i / TOPS.length) % 6]} ${Math.floor(i / 60) + 1}`;
/** Brand name of rank i. */
export const brandName = (i: number) => `brand${String(i).padStart(4, "0")}`;
/** Item id of row r. */
export const itemId = (r: number) => `it${String(r).padStart(7, "0")}`;

/** The catalog columns and vectors (rows are in id order), plus each item's cluster. */
export function generateItems(spec: SynthSpec, centres: Float32Array): { cat: CatalogColumns; vectors: Float32Array; clusterOf: Uint32Array } {
  const { items: n, dim } = spec;
  const r = rng(spec.seed * 7919 + 2);
  const g = gauss(r);
  const brandOf = zipf(spec.brands, 1.0, r);
  const catOf = zipf(spec.categories, 1.0, r);
  const matOf = zipf(MATERIALS.length, 1.0, r);
  // Each cluster has a home category: 70% of its items carry it (vectors and categories correlate).
  const home = Uint32Array.from({ length: spec.clusters }, () => catOf());
  const sigma = NOISE / Math.sqrt(dim);
  // Catalog titles draw from their own stream, so every other column is the same with or without them.
  const tr = rng(spec.seed * 7919 + 6);
  const word = titleWords(tr);
  const vectors = new Float32Array(n * dim);
  const clusterOf = new Uint32Array(n);
  const cat: CatalogColumns = { ids: [], titles: [], brands: [], categories: [], prices: [], images: [], textOnly: [], attributes: [], attributeKeys: ["material", "size"] };
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * spec.clusters);
    clusterOf[i] = k;
    const o = i * dim;
    for (let d = 0; d < dim; d++) vectors[o + d] = centres[k * dim + d]! + sigma * g();
    normalise(vectors, o, dim);
    const brand = brandName(brandOf());
    const category = categoryName(r() < 0.7 ? home[k]! : catOf());
    const material = MATERIALS[matOf()]!;
    cat.ids.push(itemId(i));
    cat.brands.push(brand);
    cat.categories.push(category);
    const leaf = category.split(">")[1]!.split(" ")[0]!;
    if (spec.lexical) {
      // "brand0042 kavo silk mirelu Dresses red": 2-5 vocabulary words around material and category word.
      const extra = 2 + Math.floor(tr() * 4);
      const parts = [brand, word(), material];
      for (let w = 1; w < extra; w++) parts.push(word());
      parts.splice(2 + Math.floor(tr() * (parts.length - 1)), 0, leaf);
      cat.titles.push(parts.join(" "));
    } else cat.titles.push(`${brand} ${material} ${category.split(">")[1]} ${WORDS[i % WORDS.length]}`);
    cat.prices.push(Math.round(Math.exp(3.5 + 0.8 * g()) * 100) / 100);
    cat.images.push(null);
    cat.textOnly.push(true);
    cat.attributes.push({ material, size: SIZES[Math.floor(r() * SIZES.length)]! });
  }
  return { cat, vectors, clusterOf };
}

/** Distinct logged queries (canonical terms via core's queryId), regenerated from the seed alone. */
export function generateQueries(spec: SynthSpec): { qid: number; terms: string; text: string }[] {
  const r = rng(spec.seed * 7919 + 3);
  const wordOf = zipf(WORDS.length, 0.8, r);
  const brandOf = zipf(spec.brands, 1.0, r);
  const matOf = zipf(MATERIALS.length, 1.0, r);
  const seen = new Set<string>();
  const out: { qid: number; terms: string; text: string }[] = [];
  while (out.length < spec.qids) {
    const parts = [WORDS[wordOf()]!, MATERIALS[matOf()]!];
    if (r() < 0.6) parts.push(WORDS[wordOf()]!);
    if (r() < 0.5) parts.push(brandName(brandOf()));
    if (r() < 0.5) parts.push(categoryWord(categoryName(Math.floor(r() * spec.categories))));
    if (r() < 0.3) parts.push(String(Math.floor(r() * 1000)));
    const text = parts.join(" ");
    const { qid, terms } = queryId(text);
    if (seen.has(terms)) continue;
    seen.add(terms);
    out.push({ qid, terms, text });
  }
  return out;
}

/**
 * Queries of the qid-miss rows, drawn like catalog titles (vocabulary words by Zipf rank, sometimes a
 * material, a category word, a brand) from their own seed; callers check they miss the qid lists.
 */
export function generateMissQueries(spec: SynthSpec, count: number): string[] {
  const r = rng(spec.seed * 7919 + 7);
  const word = titleWords(r);
  const brandOf = zipf(spec.brands, 1.0, r);
  const matOf = zipf(MATERIALS.length, 1.0, r);
  return Array.from({ length: count }, () => {
    const parts = [word()];
    if (r() < 0.7) parts.push(word());
    if (r() < 0.5) parts.push(MATERIALS[matOf()]!);
    if (r() < 0.5) parts.push(categoryWord(categoryName(Math.floor(r() * spec.categories))));
    if (r() < 0.2) parts.push(brandName(brandOf()));
    return parts.join(" ");
  });
}

/** Write `qids_<id>` with QIDS_SCHEMA for given lists (synthetic: listK items of one random cluster, descending scores) plus the qid BTREE. */
async function writeSyntheticQids(db: lancedb.Connection, name: string, spec: SynthSpec, clusterOf: Uint32Array): Promise<lancedb.Table> {
  const queries = generateQueries(spec);
  const members: number[][] = Array.from({ length: spec.clusters }, () => []);
  clusterOf.forEach((k, i) => members[k]!.push(i));
  const r = rng(spec.seed * 7919 + 4);
  const batches = [];
  const CHUNK = 10_000;
  for (let s = 0; s < queries.length; s += CHUNK) {
    const part = queries.slice(s, s + CHUNK);
    const ids: string[][] = [];
    const scores: Float32Array[] = [];
    for (let j = 0; j < part.length; j++) {
      const m = members[Math.floor(r() * spec.clusters)]!;
      const list: string[] = [];
      const sc = new Float32Array(Math.min(spec.listK, m.length));
      const picked = new Set<number>();
      let score = 0.95;
      for (let t = 0; t < sc.length; t++) {
        // Distinct items, as a real top-K list has.
        let row: number;
        do row = m[Math.floor(r() * m.length)]!;
        while (picked.has(row));
        picked.add(row);
        list.push(itemId(row));
        sc[t] = score -= 0.002 * r();
      }
      ids.push(list);
      scores.push(sc);
    }
    const t = tableOf(QIDS_SCHEMA, {
      qid: uint32Column(Uint32Array.from(part, (q) => q.qid)),
      terms: utf8Column(part.map((q) => q.terms)),
      item_ids: utf8ListColumn(ids),
      scores: float32ListColumn(scores),
    });
    batches.push(...t.batches);
  }
  const table = await db.createTable(name, new arrow.Table(QIDS_SCHEMA, batches), { mode: "create" });
  await table.createIndex("qid", { config: lancedb.Index.btree(), replace: true, name: "qid_idx" });
  await table.waitForIndex(["qid_idx"], 600);
  await assertIndexesComplete(table, ["qid_idx"]);
  return table;
}

const META = "bench-meta.json";

/** Build release r001 in `dir` (or reuse it when a previous run completed it); returns build times. */
export async function ensureRelease(dir: string, spec: SynthSpec, log: (s: string) => void): Promise<BuildInfo & { reused: boolean }> {
  if (existsSync(join(dir, META))) {
    const info = JSON.parse(await readFile(join(dir, META), "utf8")) as BuildInfo;
    return { ...info, reused: true };
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const seconds: Record<string, number> = {};
  const timed = stageTimer(seconds, log);
  const started = performance.now();
  const centres = clusterCentres(spec);
  const { cat, vectors, clusterOf } = await timed("generate items", () => generateItems(spec, centres));
  const db = await openStore(dir);
  const id = "r001";
  const names = releaseTables(id);
  const items = await timed("write items", () => writeItemsTable(db, names.items, cat, vectors, spec.dim, new Float32Array(spec.items)));
  const scalar = planScalarIndexes(cat);
  await timed("scalar indexes", () => buildScalarIndexes(items, scalar));
  const vindex = planVectorIndex(spec.items, spec.dim, spec.ann === "none" ? { exactThreshold: Number.POSITIVE_INFINITY } : { ann: spec.ann });
  await timed(`vector index (${vindex.kind})`, () => buildVectorIndex(items, vindex));
  await assertIndexesComplete(items, [...Object.keys(scalar).map((c) => `${c}_idx`), ...(vindex.kind === "exact" ? [] : ["vector_idx"])]);
  // What publish stores above the serving exactLimit (100,000): the in-memory IVF index.
  if (spec.items > 100_000) await timed("IVF index (in memory, stored)", () => writeIvfTable(db, ivfTable(id), vectors, spec.dim));
  await timed("qids table + index", () => writeSyntheticQids(db, names.qids, spec, clusterOf));
  await timed("lexicon", () => writeLexiconTable(db, names.lexicon, countLexiconValues(cat.brands, cat.categories)));
  const enc = createHashEncoder({ dim: spec.dim });
  const row: ReleaseRow = {
    id,
    created_at: new Date().toISOString(),
    items: spec.items,
    qids: spec.qids,
    dim: spec.dim,
    model: HASH_ENCODER_NAME,
    model_config: JSON.stringify(enc.config),
    index_kind: vindex.kind,
    index_params: JSON.stringify(vindex.params),
    scalar_indexes: JSON.stringify(scalar),
    top_k: spec.listK,
    attribute_keys: JSON.stringify(cat.attributeKeys),
    import_tables: "{}",
    publish_seconds: (performance.now() - started) / 1000,
    state: "complete",
    ...(spec.lexical ? { retrieval: JSON.stringify({ lexical: true, blend: BENCH_BLEND, fit: { queries: 0, grid: [], reason: "fixed 0.5 by the speed bench" } }) } : {}),
  };
  await appendReleaseRow(db, row);
  await writePointer(db, { release: id, previous: null, updated_at: new Date().toISOString() });
  seconds.total = (performance.now() - started) / 1000;
  const info: BuildInfo = { spec, seconds };
  await writeFile(join(dir, META), `${JSON.stringify(info, null, 2)}\n`);
  return { ...info, reused: false };
}
