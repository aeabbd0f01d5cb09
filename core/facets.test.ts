import { describe, expect, it } from "vitest";
import { countFacets, FACET_VALUES, FACET_WINDOW, niceStep, priceBuckets } from "./facets.ts";

describe("facet counts", () => {
  it("counts brand and category values most frequent first, missing ones apart", () => {
    const items = [
      { brand: "Acme", category: "Dresses", price: 10 },
      { brand: "Zed", category: "Dresses", price: null },
      { brand: "Acme", category: null, price: 30 },
      { brand: null, category: "Hats", price: 25 },
    ];
    const f = countFacets(items, ["brand", "category"]);
    expect(f.counted).toBe(4);
    expect(f.brand).toEqual({
      values: [
        { value: "Acme", count: 2 },
        { value: "Zed", count: 1 },
      ],
      other: 0,
      missing: 1,
    });
    expect(f.category).toEqual({
      values: [
        { value: "Dresses", count: 2 },
        { value: "Hats", count: 1 },
      ],
      other: 0,
      missing: 1,
    });
    expect(f.price).toBeUndefined();
  });

  it("counts only the window, and lists at most FACET_VALUES values with the rest in other", () => {
    const items = Array.from({ length: FACET_WINDOW + 50 }, (_, i) => ({ brand: `b${i % (FACET_VALUES + 10)}`, category: "c", price: i }));
    const f = countFacets(items, ["brand", "price"]);
    expect(f.counted).toBe(FACET_WINDOW);
    expect(f.brand!.values).toHaveLength(FACET_VALUES);
    const listed = f.brand!.values.reduce((s, v) => s + v.count, 0);
    expect(listed + f.brand!.other + f.brand!.missing).toBe(FACET_WINDOW);
    expect(f.price!.buckets.reduce((s, b) => s + b.count, 0)).toBe(FACET_WINDOW);
  });

  it("price buckets: contiguous, one nice width, covering every price exactly once", () => {
    expect([0.7, 3, 12, 22, 2600].map(niceStep)).toEqual([1, 5, 20, 25, 5000]);
    const prices = [9.99, 10, 19.5, 20, 39.9, 49, 89, 120];
    const b = priceBuckets(prices);
    expect(b[0]!.gte).toBeLessThanOrEqual(9.99);
    expect(b[b.length - 1]!.lt).toBeGreaterThan(120);
    for (let i = 1; i < b.length; i++) expect(b[i]!.gte).toBe(b[i - 1]!.lt);
    const width = b[0]!.lt - b[0]!.gte;
    expect([1, 2, 2.5, 5].map((m) => m * 10 ** Math.floor(Math.log10(width)))).toContain(width);
    expect(b.reduce((s, x) => s + x.count, 0)).toBe(prices.length);
    for (const p of prices) expect(b.filter((x) => p >= x.gte && p < x.lt)).toHaveLength(1);
    expect(b.length).toBeLessThanOrEqual(7);
    // Edges print as people write them (no 0.30000000000000004).
    expect(priceBuckets([0.1, 0.2, 0.3, 0.6]).map((x) => x.gte)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  });

  it("one price (or all equal) is one bucket holding it; no prices is no buckets", () => {
    expect(priceBuckets([42, 42])).toEqual([{ gte: 40, lt: 50, count: 2 }]);
    expect(priceBuckets([])).toEqual([]);
    expect(countFacets([{ price: null }, { price: undefined }], ["price"]).price).toEqual({ buckets: [], missing: 2 });
  });
});
