// The retrieve algorithm (DESIGN §6): query understanding → qid list filtered by the constraints →
// top-up by vector search with the constraints as a prefilter → merge without duplicates.
import {
  andFilters, filterToPredicate, filterToSql, queryId, understandQuery, type RetrieveRequest, type TextEncoder,
} from "../../core/index.ts";
import { searchItems } from "../../lancedb/index.ts";
import { matchingRows } from "./candidates.ts";
import type { ReleaseIndex } from "./release-index.ts";
import { exactTopK } from "./top-k-heap.ts";
import type { RetrievedItem, RetrieveResult } from "./types.ts";

/** Tuning of the vector-search stage. */
export interface SearchOptions {
  /** Filters matching at most this many rows are searched exactly in memory (recall 1.0); more go to the ANN index. */
  exactLimit: number;
}

const ms = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

/** Vector search over the release, constrained by `where` (SQL) / the in-memory filter. */
export async function vectorSearch(
  idx: ReleaseIndex, q: Float32Array, k: number, filter: ReturnType<typeof andFilters>, opts: SearchOptions,
): Promise<{ row: number; score: number }[]> {
  if (filter) {
    const rows = matchingRows(filter, idx, opts.exactLimit);
    if (rows) return exactTopK(idx.vectors, idx.dim, q, k, rows, idx.n);
  } else if (idx.info.index.kind === "exact" || idx.n <= opts.exactLimit) {
    return exactTopK(idx.vectors, idx.dim, q, k, null, idx.n);
  }
  // Unselective filter or no filter on a large release: the ANN index, prefiltered in LanceDB.
  let query = searchItems(idx.handles.items, idx.info.index, q, k).select(["id"]);
  if (filter) query = query.where(filterToSql(filter, { knownAttributes: idx.handles.knownAttributes }));
  const hits = (await query.toArray()) as { id: string; _distance: number }[];
  const out: { row: number; score: number }[] = [];
  for (const h of hits) {
    const row = idx.rowOf.get(h.id);
    if (row !== undefined) out.push({ row, score: 1 - h._distance });
  }
  return out;
}

/** Answer one retrieve request from a loaded release. */
export async function retrieveFrom(idx: ReleaseIndex, encoder: TextEncoder, req: RetrieveRequest, opts: SearchOptions): Promise<RetrieveResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const { qid, terms } = queryId(req.query);
  const understood = req.understand ? understandQuery(idx.lexicon, req.query) : { constraints: [], filter: null };
  const applied = andFilters(understood.filter, req.filters ?? null);
  timings.understand = ms(t0);

  const t1 = performance.now();
  const items: RetrievedItem[] = [];
  const seen = new Set<number>();
  const pred = applied ? filterToPredicate(applied) : null;
  const toItem = (row: number, score: number, source: "qid" | "ann"): RetrievedItem => ({
    id: idx.ids[row]!, score, title: idx.titles[row]!, brand: idx.brands[row] ?? null, category: idx.categories[row] ?? null,
    price: idx.prices[row] ?? null, image: idx.images[row] ?? null, source,
  });
  const list = idx.qidList(qid, terms);
  if (list) {
    for (let i = 0; i < list.rows.length && items.length < req.k; i++) {
      const row = list.rows[i]!;
      if (seen.has(row) || (pred && !pred(idx.item(row)))) continue;
      seen.add(row);
      items.push(toItem(row, list.scores[i]!, "qid"));
    }
  }
  timings.qid = ms(t1);
  const fromQid = items.length;

  if (items.length < req.k) {
    const t2 = performance.now();
    const [q] = await encoder.encode([terms]);
    timings.encode = ms(t2);
    const t3 = performance.now();
    const hits = await vectorSearch(idx, q!, req.k + seen.size, applied, opts);
    for (const h of hits) {
      if (items.length >= req.k) break;
      if (seen.has(h.row)) continue;
      // The ANN prefilter and the in-memory filter are the same expression; check anyway so a
      // stale or approximate index can never leak an item that breaks a hard constraint.
      if (pred && !pred(idx.item(h.row))) continue;
      seen.add(h.row);
      items.push(toItem(h.row, h.score, "ann"));
    }
    timings.search = ms(t3);
  }
  timings.total = ms(t0);
  return {
    items,
    path: fromQid === 0 ? "ann" : items.length > fromQid ? "qid+ann" : "qid",
    release: idx.info.id,
    qid,
    terms,
    constraints: { fromQuery: understood.constraints, fromCaller: req.filters ?? null, applied },
    timings,
  };
}
