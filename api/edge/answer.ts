// The edge's retrieve: the origin's qid path (core/retrieve-engine.ts, steps 1–2) over a list read
// from KV. It answers only when the list alone yields the page (offset + k items); anything the
// origin would top up with vector search (a miss, too few after filtering) returns null and goes to
// the origin, and so do cursors and facets (the origin's result window and candidate window). Same
// query understanding, same filter predicate, same list and scores, so the same items in the same
// order as the origin's answer.
import { andFilters, filterToPredicate, queryId, understandQuery, type RetrieveRequest } from "../../core/index.ts";
import type { RetrievedItem, RetrieveResult } from "../service/types.ts";
import type { EdgeStore } from "./kv-store.ts";

const ms = (t: number) => Math.round((performance.now() - t) * 1000) / 1000;

/**
 * Answer a validated retrieve request from KV, or null when the origin must answer it. `startedAt`
 * is when the request reached the Worker (performance.now()): `total` counts from there. workerd's
 * clock moves only across I/O (reading the body, KV reads), so timings show those waits; work done
 * in between (CPU) and lists served from the isolate's caches read 0.
 */
export async function answerFromKv(store: EdgeStore, req: RetrieveRequest, startedAt: number = performance.now()): Promise<RetrieveResult | null> {
  const t0 = performance.now();
  const release = await store.activeRelease();
  // A pinned release other than the one pushed lives only at the origin.
  if (release === null || (req.release !== undefined && req.release !== release)) return null;
  if (req.cursor !== undefined || (req.facets && req.facets.length > 0)) return null;
  const offset = req.offset ?? 0;
  const end = offset + req.k;
  const { qid, terms } = queryId(req.query);
  const [lexicon, list] = await Promise.all([req.understand ? store.lexicon(release) : null, store.qidList(release, qid, terms)]);
  if (list === null || (req.understand && lexicon === null)) return null;
  const timings: Record<string, number> = { kv: ms(t0) };

  const t1 = performance.now();
  const understood = lexicon ? understandQuery(lexicon, req.query) : { constraints: [], filter: null };
  const applied = andFilters(understood.filter, req.filters ?? null);
  const pred = applied ? filterToPredicate(applied) : null;
  timings.understand = ms(t1);

  const t2 = performance.now();
  const items: RetrievedItem[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < list.length && items.length < end; i++) {
    const it = list[i]!;
    if (seen.has(it.id) || (pred && !pred(it))) continue;
    seen.add(it.id);
    items.push({
      id: it.id,
      score: it.score,
      title: it.title,
      brand: it.brand ?? null,
      category: it.category ?? null,
      price: it.price ?? null,
      image: it.image ?? null,
      source: "qid",
    });
  }
  // The origin would top these up from vector search; only it has the vectors.
  if (items.length < end) return null;
  timings.qid = ms(t2);
  timings.total = ms(startedAt);
  return {
    items: items.slice(offset),
    offset,
    more: true,
    path: "qid",
    release,
    qid,
    terms,
    constraints: { fromQuery: understood.constraints, fromCaller: req.filters ?? null, applied, relaxed: [] },
    channels: [],
    timings,
  };
}
