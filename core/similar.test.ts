import { describe, expect, it } from "vitest";
import { filterToPredicate } from "./filter-predicate.ts";
import type { FilterExpr } from "./filter-schema.ts";
import { mulberry32 } from "./rng.ts";
import { buildSearchIndex } from "./search-index.ts";
import { runSimilar } from "./similar.ts";
import { dot } from "./top-k.ts";

// 300 items, 8-d random unit vectors; three brands and price 0..99.
function shop() {
  const r = mulberry32(3);
  const n = 300,
    dim = 8;
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (vectors[i * dim + d] = r() - 0.5) ** 2;
    for (let d = 0; d < dim; d++) vectors[i * dim + d]! /= Math.sqrt(s);
  }
  const brands = Array.from({ length: n }, (_, i) => ["Acme", "Zed", "Nord"][i % 3]!);
  const prices = Array.from({ length: n }, (_, i) => (i * 37) % 100);
  const cols = { titles: brands.map((b, i) => `${b} ${i}`), brands, categories: brands.map(() => "C"), prices, attributeColumns: new Map() };
  return { idx: buildSearchIndex(cols, { vectors, dim }), vectors, dim, n };
}

describe("similar items", () => {
  const { idx, vectors, dim, n } = shop();
  const brute = (row: number, k: number, filter: FilterExpr | null) => {
    const pred = filter ? filterToPredicate(filter) : () => true;
    return Array.from({ length: n }, (_, r) => r)
      .filter((r) => r !== row && pred(idx.item(r)))
      .map((r) => ({ r, s: dot(vectors, row * dim, vectors, r * dim, dim) }))
      .sort((a, b) => b.s - a.s || a.r - b.r)
      .slice(0, k)
      .map((x) => x.r);
  };

  it("ranks the other items by inner product with the item's own vector, leaving the item out", async () => {
    for (const row of [0, 17, 299]) {
      const r = await runSimilar(idx, { row, k: 10 }, { exactLimit: 1e6 });
      expect(r.hits.map((h) => h.row)).toEqual(brute(row, 10, null));
      expect(r.hits.some((h) => h.row === row)).toBe(false);
    }
  });

  it("applies filters exactly as retrieve does (a selective filter is scanned exactly, an unselective one goes to the ANN)", async () => {
    const filters: FilterExpr[] = [
      { op: "eq", field: "brand", value: "Zed" },
      { op: "range", field: "price", gte: 20, lt: 60 },
    ];
    for (const f of filters) {
      const exact = await runSimilar(idx, { row: 5, k: 15, filters: f }, { exactLimit: 1e6 });
      expect(exact.hits.map((h) => h.row)).toEqual(brute(5, 15, f));
      // An ANN that also returns rows breaking the filter and the item itself: neither leaks.
      const calls: (FilterExpr | null)[] = [];
      const ann = async (_q: Float32Array, k: number, filter: FilterExpr | null) => {
        calls.push(filter);
        return [{ row: 5, score: 1 }, ...Array.from({ length: k }, (_, i) => ({ row: i, score: 0.5 - i / 1000 }))];
      };
      const viaAnn = await runSimilar(idx, { row: 5, k: 15, filters: f }, { exactLimit: 0, ann });
      expect(calls).toEqual([f]);
      const pred = filterToPredicate(f);
      expect(viaAnn.hits.every((h) => h.row !== 5 && pred(idx.item(h.row)))).toBe(true);
    }
  });

  it("refuses a row outside the index", async () => {
    await expect(runSimilar(idx, { row: n, k: 3 }, { exactLimit: 1e6 })).rejects.toThrow(/not in the index/);
  });
});
