// A RetrievalService over an in-memory array: a test double for the HTTP layer only (the real
// service on LanceDB lives in api/service and is tested against a real store).
import { canonicalTerms, countFacets, filterToPredicate, queryId, type FilterExpr } from "../../../core/index.ts";
import { ServiceError, type ItemRecord, type ReleaseInfo, type RetrievalService } from "../../service/types.ts";

/** A small catalog: two brands × two categories. */
export const MEMORY_ITEMS: ItemRecord[] = [
  { id: "i1", title: "Red floral dress", brand: "Acme", category: "Women>Dresses", price: 39.9, image: null, attributes: { color: "red" }, textOnly: true },
  { id: "i2", title: "Blue denim dress", brand: "Acme", category: "Women>Dresses", price: 49, image: null, attributes: { color: "blue" }, textOnly: true },
  { id: "i3", title: "Red running shoes", brand: "Zoom", category: "Shoes", price: 89, image: null, attributes: { color: "red" }, textOnly: true },
  { id: "i4", title: "White leather shoes", brand: "Zoom", category: "Shoes", price: 120, image: null, attributes: { color: "white" }, textOnly: true },
];

const release = (id: string, active: boolean): ReleaseInfo => ({
  id,
  createdAt: `2026-01-0${id.slice(-1)}T00:00:00.000Z`,
  active,
  items: MEMORY_ITEMS.length,
  qids: 1,
  index: { kind: "exact", params: {} },
  model: "memory",
  dim: 4,
  retrieval: { lexical: true, blend: { method: "convex", weight: 0.5 } },
});

/** A fresh in-memory service with releases r001 and r002 (r002 active). */
export function memoryService(): RetrievalService & { calls: string[] } {
  const ids = ["r001", "r002"];
  let active = "r002";
  let previous: string | null = "r001";
  const calls: string[] = [];
  const check = (r: string | undefined) => {
    const rel = r ?? active;
    if (!ids.includes(rel)) throw new ServiceError("RELEASE_NOT_FOUND", `release ${rel} does not exist; list releases with GET /v1/releases`);
    return rel;
  };
  return {
    calls,
    async retrieve(req) {
      calls.push("retrieve");
      const rel = check(req.release);
      const terms = (await canonicalTerms(req.query)).split(" ").filter(Boolean);
      const pass = req.filters ? filterToPredicate(req.filters) : () => true;
      const ranked = MEMORY_ITEMS.filter((i) => pass(i))
        .map((i) => ({ i, score: terms.filter((t) => i.title.toLowerCase().includes(t)).length / Math.max(terms.length, 1) }))
        .filter((x) => x.score > 0)
        .sort((a, b) => b.score - a.score);
      const offset = req.offset ?? 0;
      const scored = ranked.slice(offset, offset + req.k);
      const q = await queryId(req.query);
      return {
        items: scored.map(({ i, score }) => ({ id: i.id, score, title: i.title, brand: i.brand, category: i.category, price: i.price, image: i.image, source: "ann" as const })),
        offset,
        more: scored.length === req.k,
        ...(req.facets
          ? {
              facets: countFacets(
                ranked.map((x) => x.i),
                req.facets,
              ),
            }
          : {}),
        path: "ann",
        release: rel,
        qid: q.qid,
        terms: q.terms,
        constraints: { fromQuery: [], fromCaller: (req.filters as FilterExpr | undefined) ?? null, applied: (req.filters as FilterExpr | undefined) ?? null, relaxed: [] },
        channels: ["lexical"],
        timings: { total: 0.1 },
      };
    },
    async similar(req) {
      calls.push("similar");
      const rel = check(req.release);
      const item = MEMORY_ITEMS.find((i) => i.id === req.id);
      if (!item) throw new ServiceError("ITEM_NOT_FOUND", `release ${rel} has no item "${req.id}"`);
      const pass = req.filters ? filterToPredicate(req.filters) : () => true;
      // "Similarity": same category counts 2, same brand 1.
      const items = MEMORY_ITEMS.filter((i) => i.id !== item.id && pass(i))
        .map((i) => ({ i, score: (i.category === item.category ? 2 : 0) + (i.brand === item.brand ? 1 : 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, req.k)
        .map(({ i, score }) => ({ id: i.id, score, title: i.title, brand: i.brand, category: i.category, price: i.price, image: i.image, source: "ann" as const }));
      return { id: item.id, items, release: rel, filters: (req.filters as FilterExpr | undefined) ?? null, timings: { total: 0.1 } };
    },
    async lookup(query, r) {
      calls.push("lookup");
      const rel = check(r);
      const q = await queryId(query);
      return { qid: q.qid, terms: q.terms, hit: q.terms === "dress red", listLength: q.terms === "dress red" ? 1 : 0, release: rel };
    },
    async getItems(wanted, r) {
      calls.push("getItems");
      check(r);
      return wanted.flatMap((id) => MEMORY_ITEMS.filter((i) => i.id === id));
    },
    async listReleases() {
      return [...ids].reverse().map((id) => release(id, id === active));
    },
    async activate(r) {
      calls.push(`activate:${r}`);
      check(r);
      if (r !== active) [previous, active] = [active, r];
      return release(active, true);
    },
    async rollback() {
      calls.push("rollback");
      if (previous === null) throw new ServiceError("BAD_REQUEST", "there is no earlier release to roll back to");
      [active, previous] = [previous, null];
      return release(active, true);
    },
    async health() {
      return { ok: true, release: active };
    },
    async close() {},
  };
}
