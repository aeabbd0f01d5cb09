// An in-memory SearchIndex from plain columns: what a loaded release, a candidate model under
// evaluation, and publish's qid precompute all rank with, so they rank the same way.
import { filterColumnIndex, postingsOf } from "./filter-bitmap.ts";
import type { FilterableItem } from "./filter-predicate.ts";
import type { Blend } from "./fusion.ts";
import { LexicalIndex, type Bm25Options, type LexicalDoc } from "./lexical-index.ts";
import { buildLexicon } from "./lexicon.ts";
import type { QidList, SearchIndex } from "./retrieve-engine.ts";

/** The blend of a release published before hybrid retrieval: vectors alone decide the order. */
export const VECTOR_ONLY_BLEND: Blend = { method: "convex", weight: 1 };

/** Item columns, one entry per row. */
export interface ItemColumns {
  /** Titles. */
  titles: readonly string[];
  /** Brands (null when absent). */
  brands: readonly (string | null)[];
  /** Category paths (null when absent). */
  categories: readonly (string | null)[];
  /** Prices (null when absent). */
  prices: readonly (number | null)[];
  /** Attribute values by key, one entry per row (empty map when the catalog has none). */
  attributeColumns: ReadonlyMap<string, readonly (string | null)[]>;
}

/** Options of buildSearchIndex. */
export interface SearchIndexOptions {
  /** Row-major unit item vectors, n × dim. */
  vectors: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** Channel blend (default VECTOR_ONLY_BLEND). */
  blend?: Blend;
  /** Build the BM25 channel (default true). */
  lexical?: boolean;
  /** BM25 parameters. */
  bm25?: Bm25Options;
  /** Brand and category values for query understanding (default: the distinct values of the columns). */
  lexiconValues?: { brands: Iterable<string>; categories: Iterable<string> };
  /** Each row's popularity prior in [0, 1] (popularityOf over the training clicks; default none: the blend's prior is off). */
  popularity?: Float32Array | null;
  /** qid → precomputed list lookup (default: none, every query is a miss). */
  qidList?: (qid: number, terms: string) => QidList | null;
}

// Row r's attributes as an object (null without attribute columns).
function attributesReader(cols: ItemColumns): (r: number) => Record<string, string | null> | null {
  const keys = [...cols.attributeColumns.keys()].sort();
  return (r) => {
    if (keys.length === 0) return null;
    const a: Record<string, string | null> = {};
    for (const k of keys) a[k] = cols.attributeColumns.get(k)![r] ?? null;
    return a;
  };
}

/** What the BM25 channel indexes of each row: title, brand, category and attribute values. */
export function lexicalDocsOf(cols: ItemColumns): LexicalDoc[] {
  const attributesOf = attributesReader(cols);
  return Array.from({ length: cols.titles.length }, (_, r) => ({ title: cols.titles[r]!, brand: cols.brands[r] ?? null, category: cols.categories[r] ?? null, attributes: attributesOf(r) }));
}

/**
 * Build the index: postings for filters, the lexicon, the BM25 channel and the vectors. With
 * `lexical: false` the BM25 channel is left null: a caller may build it apart (a server reloading a
 * release does, with LexicalIndex.buildAsync over lexicalDocsOf, so the build yields).
 */
export function buildSearchIndex(cols: ItemColumns, opts: SearchIndexOptions): SearchIndex {
  const n = cols.titles.length;
  if (opts.vectors.length !== n * opts.dim) throw new RangeError(`vectors hold ${opts.vectors.length / opts.dim} rows, the columns ${n}`);
  if (opts.popularity && opts.popularity.length !== n) throw new RangeError(`popularity holds ${opts.popularity.length} rows, the columns ${n}`);
  const notNull = (xs: readonly (string | null)[]) => xs.filter((x): x is string => x !== null);
  const lexiconValues = opts.lexiconValues ?? { brands: new Set(notNull(cols.brands)), categories: new Set(notNull(cols.categories)) };
  const attributesOf = attributesReader(cols);
  const lexical = opts.lexical === false ? null : LexicalIndex.build(lexicalDocsOf(cols), opts.bm25);
  const postings = { brand: postingsOf(cols.brands), category: postingsOf(cols.categories) };
  return {
    n,
    dim: opts.dim,
    vectors: opts.vectors,
    postings,
    columns: filterColumnIndex(cols, postings),
    lexicon: buildLexicon(lexiconValues.brands, lexiconValues.categories),
    lexical,
    blend: opts.blend ?? VECTOR_ONLY_BLEND,
    popularity: opts.popularity ?? null,
    item(r: number): FilterableItem {
      return { brand: cols.brands[r], category: cols.categories[r], price: cols.prices[r], attributes: attributesOf(r) };
    },
    qidList: opts.qidList ?? (() => null),
  };
}

/** A qid lookup over lists held in a map keyed by canonical terms (evaluation of unpublished models). */
export function qidListsFromMap(lists: ReadonlyMap<string, QidList>): (qid: number, terms: string) => QidList | null {
  return (_qid, terms) => lists.get(terms) ?? null;
}
