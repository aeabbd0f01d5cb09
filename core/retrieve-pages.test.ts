import { describe, expect, it } from "vitest";
import type { FilterExpr } from "./filter-schema.ts";
import type { Blend } from "./fusion.ts";
import { queryId } from "./qid.ts";
import { runRetrieve, type EngineRequest, type QidList } from "./retrieve-engine.ts";
import { mulberry32 } from "./rng.ts";
import { buildSearchIndex, qidListsFromMap, type ItemColumns } from "./search-index.ts";

// Pagination: a page is items [offset, offset + k) of one ranking, so pages are disjoint and their
// union is one larger request — past the live depth (200) too, where the channels are searched
// deeper for later pages. The data is built to tie a lot (vectors on a {−1, 0, 1} grid, titles from
// four words), the case where a depth-dependent fusion or tie rule would reorder items.
const WORDS = ["red", "dress", "wool", "coat"];
const BRANDS = ["Acme", "Zed", "Nord"];
const CATS = ["Dresses", "Coats", "Hats"];
const n = 1500,
  dim = 3;

function shop() {
  const r = mulberry32(11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const titles = Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(WORDS)).join(" "));
  const cols: ItemColumns = {
    titles,
    brands: titles.map(() => pick(BRANDS)),
    categories: titles.map(() => pick(CATS)),
    prices: titles.map(() => Math.floor(r() * 100)),
    attributeColumns: new Map(),
  };
  const vectors = Float32Array.from({ length: n * dim }, () => Math.floor(r() * 3) - 1);
  const q = Float32Array.from({ length: dim }, () => Math.floor(r() * 3) - 1);
  // A logged query's precomputed list: 200 rows by vector order (any list will do: it is served as stored).
  const list: QidList = { terms: queryId("wool coat").terms, rows: Uint32Array.from({ length: 200 }, (_, i) => (i * 7) % n), scores: Float32Array.from({ length: 200 }, (_, i) => 1 - i / 1000) };
  return { cols, vectors, q, list };
}

async function pages(idx: ReturnType<typeof buildSearchIndex>, req: Omit<EngineRequest, "k" | "offset">, q: Float32Array, size: number, window: number) {
  const opts = { encode: async () => q, exactLimit: 1e6 };
  const whole = await runRetrieve(idx, { ...req, k: window }, opts);
  const paged: number[] = [];
  for (let offset = 0; offset < window; offset += size) {
    const p = await runRetrieve(idx, { ...req, offset, k: Math.min(size, window - offset) }, opts);
    paged.push(...p.hits.map((h) => h.row));
    if (p.hits.length < Math.min(size, window - offset)) break;
  }
  return { whole: whole.hits.map((h) => h.row), paged, wholeResult: whole };
}

describe("pagination: every page is a slice of one ranking", () => {
  const { cols, vectors, q, list } = shop();
  const blends: Blend[] = [
    { method: "convex", weight: 0.5 },
    { method: "convex", weight: 0.3 },
    { method: "convex", weight: 1 },
    { method: "rrf", weight: 0.6 },
  ];
  const filters: (FilterExpr | undefined)[] = [undefined, { op: "eq", field: "brand", value: "Zed" }, { op: "range", field: "price", gte: 20, lt: 70 }];

  for (const blend of blends) {
    it(`${blend.method} ${blend.weight}: the ANN/hybrid path, the qid path and filters — disjoint pages whose union is one k = 1000 request`, async () => {
      const idx = buildSearchIndex(cols, { vectors, dim, blend, qidList: qidListsFromMap(new Map([[list.terms, list]])) });
      for (const query of ["red dress", "wool coat"])
        for (const f of filters) {
          const req = { query, understand: false, ...(f ? { filters: f } : {}) };
          for (const size of [100, 37]) {
            const { whole, paged, wholeResult } = await pages(idx, req, q, size, 1000);
            expect(new Set(paged).size).toBe(paged.length);
            expect(paged).toEqual(whole);
            // The filter holds and the window is full where enough rows match.
            expect(whole.length).toBe(
              f ? Math.min(1000, Array.from({ length: n }, (_, r) => r).filter((r) => (f.op === "eq" ? cols.brands[r] === "Zed" : cols.prices[r]! >= 20 && cols.prices[r]! < 70)).length) : 1000,
            );
            expect(wholeResult.path).toBe(query === "wool coat" ? "qid+ann" : "ann");
          }
        }
    }, 120_000);
  }

  it("relaxed items come after the constrained ones, on whichever page they fall, and the page reports what was relaxed for it", async () => {
    const idx = buildSearchIndex(cols, { vectors, dim, blend: { method: "convex", weight: 0.5 } });
    // "zed coats" → brand = Zed AND category = Coats; a price filter leaves ~40 rows under both.
    const req = { query: "zed coats", filters: { op: "range", field: "price", lt: 25 } as FilterExpr };
    const { whole, paged } = await pages(idx, req, q, 30, 300);
    expect(paged).toEqual(whole);
    const opts = { encode: async () => q, exactLimit: 1e6 };
    const first = await runRetrieve(idx, { ...req, k: 30 }, opts);
    expect(first.constraints.fromQuery.map((c) => c.field).sort()).toEqual(["brand", "category"]);
    expect(first.constraints.relaxed).toEqual([]);
    expect(first.hits.every((h) => !h.relaxed && cols.brands[h.row] === "Zed" && cols.categories[h.row] === "Coats")).toBe(true);
    const later = await runRetrieve(idx, { ...req, offset: 60, k: 30 }, opts);
    expect(later.hits.every((h) => h.relaxed)).toBe(true);
    expect(later.constraints.relaxed.map((c) => c.field)).toEqual(["category"]);
    expect(later.hits.every((h) => cols.brands[h.row] === "Zed" && cols.prices[h.row]! < 25)).toBe(true);
  });

  it("says whether the page is full and which path served the page itself", async () => {
    const idx = buildSearchIndex(cols, { vectors, dim, blend: { method: "convex", weight: 0.5 }, qidList: qidListsFromMap(new Map([[list.terms, list]])) });
    const opts = { encode: async () => q, exactLimit: 1e6 };
    const head = await runRetrieve(idx, { query: "wool coat", understand: false, k: 50 }, opts);
    expect(head.path).toBe("qid");
    expect(head.more).toBe(true);
    const tail = await runRetrieve(idx, { query: "wool coat", understand: false, k: 50, offset: 200 }, opts);
    expect(tail.path).toBe("ann");
    const across = await runRetrieve(idx, { query: "wool coat", understand: false, k: 50, offset: 180 }, opts);
    expect(across.path).toBe("qid+ann");
    const end = await runRetrieve(idx, { query: "x", understand: false, filters: { op: "eq", field: "brand", value: "Zed" }, k: 50, offset: 1490 }, opts);
    expect(end.hits).toEqual([]);
    expect(end.more).toBe(false);
  });
});
