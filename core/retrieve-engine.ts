// The one retrieve algorithm (DESIGN §6), shared by the API, `vitrine eval` and the retrain gate so
// a model is measured exactly as it serves: query understanding → the precomputed qid list
// filtered by the constraints → a live search (vector and lexical channels, fused by the release's
// blend) with the constraints as a prefilter → relaxation of query-derived constraints when fewer
// than k remain. Runtime-agnostic: the ANN index and the query encoder come in as functions.
import { matchingRows, type FilterColumns } from "./candidates.ts";
import { countFacets, FACET_WINDOW, type Facets } from "./facets.ts";
import { bitmapCount, bitmapRows, filterBitmap, hasRow } from "./filter-bitmap.ts";
import { filterToPredicate } from "./filter-predicate.ts";
import type { FilterExpr } from "./filter-schema.ts";
import { fuse, type Blend, type ScoredRow } from "./fusion.ts";
import type { LexicalIndex } from "./lexical-index.ts";
import { andFilters, constraintsFilter, understandQuery, type Lexicon, type QueryConstraint } from "./lexicon.ts";
import { queryId } from "./qid.ts";
import type { FacetField } from "./schemas.ts";
import type { IvfIndex } from "./simd/ivf-index.ts";
import type { VectorKernel } from "./simd/vector-kernel.ts";
import { exactTopK, exactTopKBatch, type RowScore } from "./top-k.ts";

/**
 * Each channel is searched to `LIVE_DEPTH` rows (deeper when a window needs more) and scores in the
 * fusion through its best `LIVE_DEPTH` rows, so a deeper search only appends to the ranking: the
 * items of a window are the same whatever window asked for them (pagination).
 */
export const LIVE_DEPTH = 200;

/** The order query-derived constraints are relaxed in when they leave fewer than k items. */
export const RELAX_ORDER: readonly QueryConstraint["field"][] = ["category", "brand"];

/** A precomputed qid list, decoded to item rows. */
export interface QidList {
  /** Canonical terms the list was computed for (a hit requires equal terms). */
  terms: string;
  /** Item rows, best first. */
  rows: Uint32Array;
  /** Scores, parallel to rows. */
  scores: Float32Array;
}

/** What the engine reads of a release held in memory. */
export interface SearchIndex extends FilterColumns {
  /** Vector dimension. */
  dim: number;
  /** Row-major item vectors, n × dim (unit length). */
  vectors: Float32Array;
  /** Brand and category names for query understanding. */
  lexicon: Lexicon;
  /** BM25 over the items' text; null = vector channel only. */
  lexical: LexicalIndex | null;
  /** How the two channels are fused (fitted per release). */
  blend: Blend;
  /** Each row's popularity prior in [0, 1] (popularity.ts), which the blend's `prior` weighs; null: none (the prior is off). */
  popularity: Float32Array | null;
  /** The precomputed list of a logged query, or null on a miss. */
  qidList(qid: number, terms: string): QidList | null;
  /** SIMD scans over `vectors` (which then live in its memory); absent: exactTopK in JS, the same results. */
  kernel?: VectorKernel | null;
  /** The in-memory IVF index for searches too unselective to scan exactly (large releases); absent: `ann`, else exact. */
  ivf?: IvfIndex | null;
}

/** One retrieve call as the engine takes it (already validated). */
export interface EngineRequest {
  /** The user's query text. */
  query: string;
  /** Items wanted (the page size). */
  k: number;
  /** Items of the ranking to skip (default 0): the answer is items [offset, offset + k) of the ranking any window would show. */
  offset?: number;
  /** Facet counts to compute over the ranking's first FACET_WINDOW items (default none). */
  facets?: readonly FacetField[];
  /** The caller's filter (never relaxed). */
  filters?: FilterExpr | null;
  /** Derive brand/category constraints from the query text (default true). */
  understand?: boolean;
  /** Relax query-derived constraints when they leave fewer than k items (default true). */
  relax?: boolean;
}

/** How the engine reaches what is outside the index. */
export interface EngineOptions {
  /** Encode canonical query terms into a unit vector (called at most once per request). */
  encode(terms: string): Promise<Float32Array>;
  /** Filters matching at most this many rows are searched exactly (recall 1.0); more go to `ann`. */
  exactLimit: number;
  /** Approximate vector search with `filter` as a prefilter, for unselective searches on large releases. */
  ann?: (q: Float32Array, k: number, filter: FilterExpr | null) => Promise<ScoredRow[]>;
  /** Use the precomputed qid lists (default true; false when fitting a blend before lists exist). */
  useQidLists?: boolean;
  /** Blend to use instead of the index's own (blend fitting). */
  blend?: Blend;
}

/** One retrieved row. */
export interface EngineHit {
  /** Item row in the index. */
  row: number;
  /** Fused score (qid lists hold fused scores too). */
  score: number;
  /** Which stage produced it: the precomputed list or the live search. */
  source: "qid" | "ann";
  /** Raw vector-channel score, null when the row came from the lexical channel alone (or from a qid list). */
  vector: number | null;
  /** Raw BM25 score, null when the lexical channel did not return the row (or it came from a qid list). */
  lexical: number | null;
  /** True when the row is there only because query-derived constraints were relaxed. */
  relaxed: boolean;
}

/** The engine's answer. */
export interface EngineResult {
  /** Rows of the page, best first, no duplicates, at most k. */
  hits: EngineHit[];
  /** Whether the page is full, so the ranking may go on (the page after the last full one comes back empty). */
  more: boolean;
  /** Facet counts, when asked for. */
  facets?: Facets;
  /** qid of the query and its canonical terms. */
  qid: number;
  terms: string;
  /** Which path served the page's items: the qid list alone, the live search alone, or both. */
  path: "qid" | "ann" | "qid+ann";
  /** Constraints from the query, the caller's filter, their AND, and the query constraints dropped for the page's items. */
  constraints: { fromQuery: QueryConstraint[]; fromCaller: FilterExpr | null; applied: FilterExpr | null; relaxed: QueryConstraint[] };
  /** Channels that returned rows in the live search ([] when the qid list answered alone). */
  channels: ("vector" | "lexical")[];
  /** The blend the live search used. */
  blend: Blend;
  /** Per-stage wall times in ms. */
  timings: Record<string, number>;
}

const ms = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

/**
 * The vector channel's best rows for a query vector under a filter, by the plan its matching rows
 * call for: at most `exactLimit` of them (counted from the postings, else from the filter's bitmap)
 * are scanned exactly; more go to the in-memory IVF index with the bitmap as a post-filter (back to
 * the exact scan if it comes back short), else to `ann`; no index at all scans exactly. Returns the
 * matching rows or the bitmap where the plan built them, so the lexical channel reuses them.
 */
export async function vectorChannel(idx: SearchIndex, q: Float32Array, filter: FilterExpr | null, depth: number, opts: Pick<EngineOptions, "exactLimit" | "ann">) {
  const pred = filter ? filterToPredicate(filter) : null;
  let rows = filter ? matchingRows(filter, idx, opts.exactLimit) : null;
  let bits: Int32Array | null = null;
  if (filter && !rows && idx.columns) {
    // The postings bound was too large or absent (price, attributes, not): count exactly.
    bits = filterBitmap(filter, idx.columns, idx.n);
    if (bitmapCount(bits) <= opts.exactLimit) rows = bitmapRows(bits);
  }
  const scan = (r: Uint32Array | null): RowScore[] => (idx.kernel ? idx.kernel.topK(q, depth, r) : exactTopK(idx.vectors, idx.dim, q, depth, r, idx.n));
  let vector: ScoredRow[];
  if (rows || (!filter && (idx.n <= opts.exactLimit || (!idx.ivf && !opts.ann)))) vector = scan(rows);
  else if (idx.ivf) {
    if (filter && !bits) bits = rowsBitmap(matchingRows(filter, idx)!, idx.n);
    vector = idx.ivf.search(q, depth, bits);
    if (bits && vector.length < depth) {
      // Short: the index probed every list and still found fewer rows than asked (or broke); scan them all.
      rows = bitmapRows(bits);
      vector = scan(rows);
    }
  } else if (opts.ann) {
    // The ANN prefilter and the predicate are the same expression; check anyway so a stale or
    // approximate index can never leak an item that breaks a hard constraint.
    vector = (await opts.ann(q, depth, filter)).filter((h) => !pred || pred(idx.item(h.row)));
  } else {
    // No ANN: every matching row, scanned exactly. They are returned too, so the lexical channel
    // searches within them instead of evaluating the filter a second time.
    rows = bits ? bitmapRows(bits) : matchingRows(filter!, idx);
    vector = scan(rows);
  }
  return { vector, rows, pred, bits };
}

// A bitmap of n bits with `rows` set.
function rowsBitmap(rows: Uint32Array, n: number): Int32Array {
  const bits = new Int32Array((n + 31) >>> 5);
  for (let i = 0; i < rows.length; i++) bits[rows[i]! >>> 5]! |= 1 << (rows[i]! & 31);
  return bits;
}

/** The two channels' best rows for a query under a filter (the raw material of fusion and blend fitting). */
export async function liveChannels(
  idx: SearchIndex,
  q: Float32Array,
  terms: string,
  filter: FilterExpr | null,
  depth: number,
  opts: Pick<EngineOptions, "exactLimit" | "ann">,
): Promise<{ vector: ScoredRow[]; lexical: ScoredRow[] }> {
  const { vector, rows, pred, bits: planBits } = await vectorChannel(idx, q, filter, depth, opts);
  // Without candidate rows, each BM25 candidate is tested: against the filter's bitmap where the
  // index has columns (bounded whatever the filter), else through the predicate.
  let accept: ((r: number) => boolean) | null = null;
  if (filter && !rows) {
    if (planBits || idx.columns) {
      const bits = planBits ?? filterBitmap(filter, idx.columns!, idx.n);
      accept = (r) => hasRow(bits, r);
    } else accept = (r) => pred!(idx.item(r));
  }
  return { vector, lexical: lexicalChannel(idx, terms, depth, rows, accept) };
}

// BM25's best rows: over the filter's candidate rows when it has them, else those `accept` passes.
function lexicalChannel(idx: SearchIndex, terms: string, depth: number, rows: Uint32Array | null, accept: ((r: number) => boolean) | null): ScoredRow[] {
  return idx.lexical ? idx.lexical.search(terms, depth, { rows, ...(accept ? { accept } : {}) }) : [];
}

/** Both channels fused by the blend (each scoring through its best LIVE_DEPTH rows) with the index's popularity prior, best first, at most `depth` rows: the live search's answer. */
function fuseChannels(idx: Pick<SearchIndex, "popularity">, ch: { vector: ScoredRow[]; lexical: ScoredRow[] }, blend: Blend, depth: number) {
  return { fused: fuse(ch.vector, ch.lexical, blend, depth, LIVE_DEPTH, idx.popularity), vector: ch.vector.length > 0, lexical: ch.lexical.length > 0 };
}

/** The live search: both channels fused by the blend, best first, at most `depth` rows. */
export async function liveSearch(idx: SearchIndex, q: Float32Array, terms: string, filter: FilterExpr | null, depth: number, opts: Pick<EngineOptions, "exactLimit" | "ann"> & { blend?: Blend }) {
  return fuseChannels(idx, await liveChannels(idx, q, terms, filter, depth, opts), opts.blend ?? idx.blend, depth);
}

/**
 * The unfiltered live search of many queries without an ANN — per query equal to
 * `liveSearch(idx, q, terms, null, depth, { exactLimit })`, whose vector channel is then the exact
 * scan of all rows — with that scan done for all queries at once by the tiled exactTopKBatch.
 */
export function liveSearchBatch(idx: SearchIndex, queries: readonly Float32Array[], terms: readonly string[], depth: number, blend: Blend = idx.blend) {
  if (terms.length !== queries.length) throw new RangeError(`${queries.length} query vectors but ${terms.length} terms`);
  const top = exactTopKBatch({ items: idx.vectors, queries, dim: idx.dim, k: depth });
  return queries.map((_, i) => {
    const rows = top.rows[i]!,
      scores = top.scores[i]!;
    const vector: ScoredRow[] = Array.from(rows, (row, j) => ({ row, score: scores[j]! }));
    return fuseChannels(idx, { vector, lexical: lexicalChannel(idx, terms[i]!, depth, null, null) }, blend, depth);
  });
}

/** Answer one retrieve request from an index: the page [offset, offset + k) of the request's ranking. */
export async function runRetrieve(idx: SearchIndex, req: EngineRequest, opts: EngineOptions): Promise<EngineResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const { qid, terms } = queryId(req.query);
  const understood = req.understand === false ? { constraints: [] as QueryConstraint[], filter: null } : understandQuery(idx.lexicon, req.query);
  const caller = req.filters ?? null;
  const applied = andFilters(understood.filter, caller);
  const blend = opts.blend ?? idx.blend;
  const offset = req.offset ?? 0;
  const end = offset + req.k;
  // The window collected: the page, or the facet window when that is longer.
  const want = Math.max(end, req.facets && req.facets.length > 0 ? FACET_WINDOW : 0);
  timings.understand = ms(t0);

  const hits: EngineHit[] = [];
  // The relaxation pass each hit came from (0: under every constraint).
  const levels: number[] = [];
  const seen = new Set<number>();
  const list = opts.useQidLists === false ? null : idx.qidList(qid, terms);
  const channels = new Set<"vector" | "lexical">();
  let q: Float32Array | null = null;

  // One pass under a filter: the qid list first, then the live search; `level` marks the rows.
  const collect = async (filter: FilterExpr | null, level: number) => {
    const relaxed = level > 0;
    const pred = filter ? filterToPredicate(filter) : null;
    const t1 = performance.now();
    if (list) {
      for (let i = 0; i < list.rows.length && hits.length < want; i++) {
        const row = list.rows[i]!;
        if (seen.has(row) || (pred && !pred(idx.item(row)))) continue;
        seen.add(row);
        hits.push({ row, score: list.scores[i]!, source: "qid", vector: null, lexical: null, relaxed });
        levels.push(level);
      }
    }
    timings.qid = (timings.qid ?? 0) + ms(t1);
    if (hits.length >= want) return;
    if (!q) {
      const t2 = performance.now();
      q = await opts.encode(terms);
      timings.encode = ms(t2);
    }
    const t3 = performance.now();
    const r = await liveSearch(idx, q, terms, filter, Math.max(LIVE_DEPTH, want + seen.size), { ...opts, blend });
    if (r.vector) channels.add("vector");
    if (r.lexical) channels.add("lexical");
    for (const f of r.fused) {
      if (hits.length >= want) break;
      if (seen.has(f.row)) continue;
      seen.add(f.row);
      hits.push({ row: f.row, score: f.score, source: "ann", vector: f.vector, lexical: f.lexical, relaxed });
      levels.push(level);
    }
    timings.search = (timings.search ?? 0) + ms(t3);
  };

  await collect(applied, 0);
  // Relax only what the query text implied, never the caller's filter: category first, then brand.
  const dropped: QueryConstraint[][] = [];
  if (req.relax !== false) {
    let kept = understood.constraints;
    for (const field of RELAX_ORDER) {
      if (hits.length >= want) break;
      const drop = kept.filter((c) => c.field === field);
      if (drop.length === 0) continue;
      kept = kept.filter((c) => c.field !== field);
      dropped.push(drop);
      await collect(andFilters(constraintsFilter(kept), caller), dropped.length);
    }
  }
  const page = hits.slice(offset, end);
  const pageLevel = Math.max(0, ...levels.slice(offset, end));
  const fromQid = page.filter((h) => h.source === "qid").length;
  let facets: Facets | undefined;
  if (req.facets && req.facets.length > 0) {
    const t4 = performance.now();
    facets = countFacets(
      hits.slice(0, FACET_WINDOW).map((h) => idx.item(h.row)),
      req.facets,
    );
    timings.facets = ms(t4);
  }
  timings.total = ms(t0);
  return {
    hits: page,
    more: hits.length >= end,
    ...(facets ? { facets } : {}),
    qid,
    terms,
    path: fromQid === 0 ? "ann" : fromQid < page.length ? "qid+ann" : "qid",
    constraints: { fromQuery: understood.constraints, fromCaller: caller, applied, relaxed: dropped.slice(0, pageLevel).flat() },
    channels: [...channels].sort(),
    blend,
    timings,
  };
}
