import { describe, expect, it } from "vitest";
import { bitmapRows, filterBitmap } from "../filter-bitmap.ts";
import { filterToPredicate } from "../filter-predicate.ts";
import { vectorChannel } from "../retrieve-engine.ts";
import { mulberry32 } from "../rng.ts";
import { buildSearchIndex, type ItemColumns } from "../search-index.ts";
import { dot, exactTopK } from "../top-k.ts";
import { buildIvfIndex, ivfLayoutOf, restoreIvfIndex } from "./ivf-index.ts";
import { VectorKernel } from "./vector-kernel.ts";

const DIM = 32;

// Clustered unit vectors (items near one of `clusters` random centres), brands and prices per row.
function clusteredShop(n: number, clusters: number, seed: number) {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: DIM }, gauss));
  const kernel = new VectorKernel({ n, dim: DIM, lists: 32 });
  const v = kernel.vectors;
  const brands: string[] = [],
    categories: string[] = [],
    prices: number[] = [],
    titles: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = centres[i % clusters]!;
    let s = 0;
    for (let j = 0; j < DIM; j++) {
      const x = c[j]! + 0.6 * gauss();
      v[i * DIM + j] = x;
      s += x * x;
    }
    s = Math.sqrt(s);
    for (let j = 0; j < DIM; j++) v[i * DIM + j] = v[i * DIM + j]! / s;
    brands.push(`b${i % 7}`);
    categories.push(`c${i % 5}`);
    prices.push(i % 1000);
    titles.push(`item ${i}`);
  }
  const cols: ItemColumns = { titles, brands, categories, prices, attributeColumns: new Map() };
  const query = (k: number) => v.slice(((k * 131) % n) * DIM, ((k * 131) % n) * DIM + DIM).map((x, j) => x + 0.01 * Math.sin(j + k));
  return { kernel, cols, query };
}

const recall = (got: { row: number }[], truth: { row: number }[]) => {
  const s = new Set(got.map((h) => h.row));
  return truth.filter((h) => s.has(h.row)).length / truth.length;
};

describe("the in-memory IVF index", () => {
  it("finds the exact top rows of clustered vectors (recall ≥ 0.9), scored by dot, best first", async () => {
    const n = 20_000;
    const { kernel, query } = clusteredShop(n, 64, 1);
    const ivf = await buildIvfIndex(kernel, { seed: 2 });
    expect(ivf.lists).toBe(32);
    expect(ivf.order.length).toBe(n);
    expect(new Set(ivf.order).size).toBe(n);
    let sum = 0;
    for (let t = 0; t < 20; t++) {
      const q = query(t);
      const got = ivf.search(q, 50, null);
      expect(got).toHaveLength(50);
      for (const h of got) expect(h.score).toBe(dot(kernel.vectors, h.row * DIM, q, 0, DIM));
      for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score);
      sum += recall(got, exactTopK(kernel.vectors, DIM, q, 50, null, n));
    }
    expect(sum / 20).toBeGreaterThanOrEqual(0.9);
  });

  it("returns only rows the filter's bitmap accepts, every one of them when fewer than asked match", async () => {
    const n = 20_000;
    const { kernel, cols, query } = clusteredShop(n, 64, 3);
    const idx = buildSearchIndex(cols, { vectors: kernel.vectors, dim: DIM, lexical: false });
    const ivf = await buildIvfIndex(kernel);
    const pred = filterToPredicate({ op: "eq", field: "brand", value: "b3" });
    const bits = filterBitmap({ op: "eq", field: "brand", value: "b3" }, idx.columns!, n);
    const got = ivf.search(query(1), 100, bits);
    expect(got).toHaveLength(100);
    expect(got.every((h) => pred(idx.item(h.row)))).toBe(true);
    // 20 rows match: the search probes on past its minimum until it has seen them all.
    const few = filterBitmap({ op: "range", field: "price", gte: 0, lt: 1 }, idx.columns!, n);
    const all = bitmapRows(few);
    expect(all.length).toBe(20);
    expect(
      ivf
        .search(query(2), 100, few)
        .map((h) => h.row)
        .sort((a, b) => a - b),
    ).toEqual([...all]);
  });
});

describe("a stored IVF layout", () => {
  it("restores the index it was taken from: same lists, same answers, on a fresh kernel with the same vectors", async () => {
    const n = 20_000;
    const { kernel, query } = clusteredShop(n, 64, 7);
    const built = await buildIvfIndex(kernel);
    const layout = ivfLayoutOf(built, kernel);
    const fresh = new VectorKernel({ n, dim: DIM, lists: 32 });
    fresh.vectors.set(kernel.vectors);
    const restored = await restoreIvfIndex(fresh, layout);
    expect([...restored.start]).toEqual([...built.start]);
    expect([...restored.order]).toEqual([...built.order]);
    for (let t = 0; t < 10; t++) expect(restored.search(query(t), 50, null)).toEqual(built.search(query(t), 50, null));
  });

  it("refuses a layout that does not fit the vectors, naming why", async () => {
    const { kernel } = clusteredShop(2_000, 16, 9);
    const layout = ivfLayoutOf(await buildIvfIndex(kernel), kernel);
    const other = new VectorKernel({ n: 1_999, dim: DIM, lists: 32 });
    await expect(restoreIvfIndex(other, layout)).rejects.toThrow(/2000 × 32 stored, 1999 × 32 loaded/);
    const dup = { ...layout, order: layout.order.slice() };
    dup.order[1] = dup.order[0]!;
    await expect(restoreIvfIndex(kernel, dup)).rejects.toThrow(/not a permutation/);
    // Vectors in another row order than the layout was built on.
    const swapped = new VectorKernel({ n: 2_000, dim: DIM, lists: 32 });
    for (let r = 0; r < 2_000; r++) swapped.vectors.set(kernel.vectors.subarray(((r + 1000) % 2000) * DIM, (((r + 1000) % 2000) + 1) * DIM), r * DIM);
    await expect(restoreIvfIndex(swapped, layout)).rejects.toThrow(/nearest to centroid/);
  });
});

describe("vectorChannel's plans", () => {
  it("scans exactly what matches at most exactLimit rows (postings or bitmap count), the IVF index above, and never asks `ann` then", async () => {
    const n = 20_000;
    const { kernel, cols, query } = clusteredShop(n, 64, 5);
    const idx = buildSearchIndex(cols, { vectors: kernel.vectors, dim: DIM, lexical: false });
    idx.kernel = kernel;
    idx.ivf = await buildIvfIndex(kernel);
    const ann = async () => {
      throw new Error("the in-memory plans must not call the external ANN");
    };
    const opts = { exactLimit: 2_000, ann };
    const q = query(4);
    // A price range matching 400 rows has no postings bound: its bitmap count sends it to the exact scan.
    const rare = { op: "range" as const, field: "price" as const, gte: 10, lt: 30 };
    const rareRows = bitmapRows(filterBitmap(rare, idx.columns!, n));
    const a = await vectorChannel(idx, q, rare, 100, opts);
    expect(a.rows).toEqual(rareRows);
    expect(a.vector).toEqual(exactTopK(kernel.vectors, DIM, q, 100, rareRows, n));
    // A brand matching 1/7 of the rows (> exactLimit) goes to the IVF index, post-filtered.
    const wide = { op: "eq" as const, field: "brand" as const, value: "b2" };
    const b = await vectorChannel(idx, q, wide, 100, opts);
    expect(b.rows).toBeNull();
    expect(b.bits).not.toBeNull();
    expect(b.vector.every((h) => cols.brands[h.row] === "b2")).toBe(true);
    const truth = exactTopK(kernel.vectors, DIM, q, 100, bitmapRows(b.bits!), n);
    expect(recall(b.vector, truth)).toBeGreaterThanOrEqual(0.9);
    // Unfiltered on a release above exactLimit: the IVF index too.
    const c = await vectorChannel(idx, q, null, 100, opts);
    expect(recall(c.vector, exactTopK(kernel.vectors, DIM, q, 100, null, n))).toBeGreaterThanOrEqual(0.9);
    // Without the IVF index the unselective plans fall back to `ann` as before.
    idx.ivf = null;
    await expect(vectorChannel(idx, q, wide, 100, opts)).rejects.toThrow(/external ANN/);
  });
});
