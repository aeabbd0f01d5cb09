// Serving's side of the one retrieve algorithm (core/retrieve-engine.ts): the LanceDB ANN index for
// unselective searches on large releases, the release's query encoder, and the API's answer shape.
import { filterToSql, runRetrieve, runSimilar, type EngineOptions, type FilterExpr, type RetrieveRequest, type ScoredRow, type SimilarRequest, type TextEmbedder } from "../../core/index.ts";
import { searchItems, type ReleaseIndex } from "../../lancedb/index.ts";
import { ServiceError, type RetrievedItem, type RetrieveResult, type SimilarResult } from "./types.ts";

/** Tuning of the vector-search stage. */
export interface SearchOptions {
  /** Filters matching at most this many rows are searched exactly in memory (recall 1.0); more go to the ANN index. */
  exactLimit: number;
}

/** LanceDB's ANN over the release's items table, `filter` as a SQL prefilter. */
export async function annSearch(idx: ReleaseIndex, q: Float32Array, k: number, filter: FilterExpr | null): Promise<ScoredRow[]> {
  let query = searchItems(idx.handles.items, idx.info.index, q, k).select(["id"]);
  if (filter) query = query.where(filterToSql(filter, { knownAttributes: idx.handles.knownAttributes }));
  const hits = (await query.toArray()) as { id: string; _distance: number }[];
  const out: ScoredRow[] = [];
  for (const h of hits) {
    const row = idx.rowOf.get(h.id);
    if (row !== undefined) out.push({ row, score: 1 - h._distance });
  }
  return out;
}

/** How the engine searches a loaded release: exact scans within `exactLimit`, else its ANN index. */
function searchOptions(idx: ReleaseIndex, opts: SearchOptions): Pick<EngineOptions, "exactLimit" | "ann"> {
  return {
    exactLimit: opts.exactLimit,
    // An exact-index release has no ANN index: the engine scans exactly.
    ...(idx.info.index.kind === "exact" ? {} : { ann: (q: Float32Array, k: number, f: FilterExpr | null) => annSearch(idx, q, k, f) }),
  };
}

/** A row of a release as the API returns it (the caller adds channels and relaxed). Built as one literal, never spread: spreading 1,000 items cost ~1.8 ms of CPU, a k = 1000 answer's largest single step. */
function itemOf(idx: ReleaseIndex, row: number, score: number, source: RetrievedItem["source"]): RetrievedItem {
  return {
    id: idx.ids[row]!,
    score,
    title: idx.titles[row]!,
    brand: idx.brands[row] ?? null,
    category: idx.categories[row] ?? null,
    price: idx.prices[row] ?? null,
    image: idx.images[row] ?? null,
    source,
  };
}

/** Answer one retrieve request from a loaded release. */
export async function retrieveFrom(idx: ReleaseIndex, encoder: TextEmbedder, req: RetrieveRequest, opts: SearchOptions): Promise<RetrieveResult> {
  const offset = req.offset ?? 0;
  const r = await runRetrieve(
    idx,
    { query: req.query, k: req.k, offset, filters: req.filters ?? null, understand: req.understand, relax: req.relax, ...(req.facets ? { facets: req.facets } : {}) },
    { encode: async (terms) => (await encoder.encode([terms]))[0]!, ...searchOptions(idx, opts) },
  );
  const items = r.hits.map((h) => {
    const item = itemOf(idx, h.row, h.score, h.source);
    if (h.source === "ann") item.channels = { vector: h.vector, lexical: h.lexical };
    if (h.relaxed) item.relaxed = true;
    return item;
  });
  return {
    items,
    offset,
    more: r.more,
    ...(r.facets ? { facets: r.facets } : {}),
    path: r.path,
    release: idx.info.id,
    qid: r.qid,
    terms: r.terms,
    constraints: r.constraints,
    channels: r.channels,
    ...(r.path === "qid" ? {} : { blend: r.blend }),
    timings: r.timings,
  };
}

/** Answer one similar request from a loaded release: the item's own vector as the query. */
export async function similarFrom(idx: ReleaseIndex, req: SimilarRequest, opts: SearchOptions): Promise<SimilarResult> {
  const row = idx.rowOf.get(req.id);
  if (row === undefined) throw new ServiceError("ITEM_NOT_FOUND", `release ${idx.info.id} has no item "${req.id}"; check the id (GET /v1/items?ids=...)`);
  const filters = req.filters ?? null;
  const r = await runSimilar(idx, { row, k: req.k, filters }, searchOptions(idx, opts));
  return {
    id: req.id,
    items: r.hits.map((h) => {
      const item = itemOf(idx, h.row, h.score, "ann");
      item.channels = { vector: h.score, lexical: null };
      return item;
    }),
    release: idx.info.id,
    filters,
    timings: { ...r.timings, total: r.timings.search ?? 0 },
  };
}
