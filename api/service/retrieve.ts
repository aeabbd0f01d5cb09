// Serving's side of the one retrieve algorithm (core/retrieve-engine.ts): the LanceDB ANN index for
// unselective searches on large releases, the release's query encoder, and the API's answer shape.
import { filterToSql, runRetrieve, type FilterExpr, type RetrieveRequest, type ScoredRow, type TextEmbedder } from "../../core/index.ts";
import { searchItems, type ReleaseIndex } from "../../lancedb/index.ts";
import type { RetrievedItem, RetrieveResult } from "./types.ts";

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

/** Answer one retrieve request from a loaded release. */
export async function retrieveFrom(idx: ReleaseIndex, encoder: TextEmbedder, req: RetrieveRequest, opts: SearchOptions): Promise<RetrieveResult> {
  const r = await runRetrieve(
    idx,
    { query: req.query, k: req.k, filters: req.filters ?? null, understand: req.understand, relax: req.relax },
    {
      encode: async (terms) => (await encoder.encode([terms]))[0]!,
      exactLimit: opts.exactLimit,
      // An exact-index release has no ANN index: the engine scans exactly.
      ...(idx.info.index.kind === "exact" ? {} : { ann: (q: Float32Array, k: number, f: FilterExpr | null) => annSearch(idx, q, k, f) }),
    },
  );
  const items: RetrievedItem[] = r.hits.map((h) => ({
    id: idx.ids[h.row]!,
    score: h.score,
    title: idx.titles[h.row]!,
    brand: idx.brands[h.row] ?? null,
    category: idx.categories[h.row] ?? null,
    price: idx.prices[h.row] ?? null,
    image: idx.images[h.row] ?? null,
    source: h.source,
    ...(h.source === "ann" ? { channels: { vector: h.vector, lexical: h.lexical } } : {}),
    ...(h.relaxed ? { relaxed: true as const } : {}),
  }));
  return {
    items,
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
