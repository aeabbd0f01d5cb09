import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "./rng.ts";
import { dot, exactTopK, exactTopKBatch, TopKHeap, type RowScore } from "./top-k.ts";

/** The reference: score every candidate with `dot`, sort by score desc then row asc. */
function naive(items: Float32Array, dim: number, q: Float32Array, k: number, rows: readonly number[]): RowScore[] {
  return rows
    .map((row) => ({ row, score: dot(items, row * dim, q, 0, dim) }))
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, Math.max(0, k));
}

/** Vectors on a small integer grid (−2…2): inner products are exact and exact ties are everywhere. */
function grid(len: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: len }, () => Math.floor(r() * 5) - 2);
}

/** Unit-ish vectors with awkward float32 values, so summation order would show in the last bits. */
function floats(len: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: len }, () => (r() - 0.5) * (r() < 0.1 ? 1e3 : 1));
}

const shape = fc.record({
  dim: fc.integer({ min: 1, max: 19 }),
  n: fc.integer({ min: 0, max: 90 }),
  m: fc.integer({ min: 0, max: 13 }),
  k: fc.integer({ min: 0, max: 100 }),
  queryBlock: fc.integer({ min: 1, max: 12 }),
  itemTile: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
  ints: fc.boolean(),
});

describe("exactTopKBatch", () => {
  it("equals exactTopK per query: same rows, same scores bit for bit, same tie order (grid ties and float rounding)", () => {
    fc.assert(
      fc.property(shape, fc.boolean(), ({ dim, n, m, k, queryBlock, itemTile, seed, ints }, flat) => {
        const make = ints ? grid : floats;
        const items = make(n * dim, seed);
        const qs = Array.from({ length: m }, (_, i) => make(dim, seed + 1 + i));
        const queries = flat ? Float32Array.from(qs.flatMap((q) => [...q])) : qs;
        const got = exactTopKBatch({ items, queries, dim, k, queryBlock, itemTile });
        expect(got.k).toBe(Math.min(k, n));
        expect(got.rows).toHaveLength(m);
        qs.forEach((q, i) => {
          const one = exactTopK(items, dim, q, k, null, n);
          expect(Array.from(got.rows[i]!)).toEqual(one.map((h) => h.row));
          // Object.is: the same float64 bits (and -0 ≠ +0), not merely close.
          got.scores[i]!.forEach((s, j) => expect(Object.is(s, one[j]!.score)).toBe(true));
        });
      }),
      { numRuns: 200 },
    );
  });

  it("rejects buffers that are not multiples of dim and queries of the wrong length", () => {
    const items = Float32Array.from([1, 2, 3, 4]);
    expect(() => exactTopKBatch({ items, queries: Float32Array.from([1, 2, 3]), dim: 2, k: 1 })).toThrow(RangeError);
    expect(() => exactTopKBatch({ items, queries: [Float32Array.from([1])], dim: 2, k: 1 })).toThrow(RangeError);
    expect(exactTopKBatch({ items, queries: [], dim: 2, k: 1 }).rows).toEqual([]);
  });
});

describe("exactTopK", () => {
  it("equals a full sort by dot (score desc, then row asc) over all rows or any candidate set in any order", () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 0, max: 2 ** 31 }), ({ dim, n, k, seed, ints }, pick) => {
        const make = ints ? grid : floats;
        const items = make(n * dim, seed);
        const q = make(dim, seed + 1);
        const all = Array.from({ length: n }, (_, i) => i);
        expect(exactTopK(items, dim, q, k, null, n)).toEqual(naive(items, dim, q, k, all));
        // A candidate set: a random subset in random order (the tie rule must not depend on the order offered).
        const r = mulberry32(pick);
        const subset = all.filter(() => r() < 0.6).sort(() => r() - 0.5);
        expect(exactTopK(items, dim, q, k, Uint32Array.from(subset), n)).toEqual(naive(items, dim, q, k, subset));
      }),
      { numRuns: 200 },
    );
  });

  it("breaks equal scores by the lower row, also when the heap is full and the tie sits at its root", () => {
    // Query (1, 0): scores 1, 2, 2, 2, 3, 2 → 4, then the 2s by row.
    const items = Float32Array.from([1, 0, 2, 0, 2, 5, 2, 1, 3, 0, 2, 9]);
    const q = Float32Array.from([1, 0]);
    expect(exactTopK(items, 2, q, 3, null, 6)).toEqual([
      { row: 4, score: 3 },
      { row: 1, score: 2 },
      { row: 2, score: 2 },
    ]);
    expect(exactTopK(items, 2, q, 3, Uint32Array.from([5, 3, 2, 1, 4]), 6).map((h) => h.row)).toEqual([4, 1, 2]);
    expect(exactTopK(items, 2, q, 0, null, 6)).toEqual([]);
    expect(exactTopK(items, 2, q, 99, null, 6)).toHaveLength(6);
  });

  it("scores as dot defines it: a float64 sum left to right, never reassociated across dimensions", () => {
    // Products 2^60, 1, 1, 0, −2^60: left to right the ones vanish below 2^60's last bit and the sum
    // is 0; four partial sums (the old scan) would pair 2^60 with −2^60 first and give 2.
    const items = Float32Array.from([2 ** 30, 1, 1, 0, -(2 ** 30)]);
    const q = Float32Array.from([2 ** 30, 1, 1, 1, 2 ** 30]);
    expect(dot(items, 0, q, 0, 5)).toBe(0);
    expect(exactTopK(items, 5, q, 1, null, 1)[0]!.score).toBe(0);
    expect(exactTopKBatch({ items, queries: [q], dim: 5, k: 1 }).scores[0]![0]).toBe(0);
  });
});

describe("TopKHeap", () => {
  it("keeps the same k best pairs whatever order they are offered in", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 60 }), fc.integer({ min: 0, max: 70 }), fc.integer(), (scores, k, seed) => {
        const pairs = scores.map((score, row) => ({ row, score }));
        const want = [...pairs].sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
        const r = mulberry32(seed);
        const heap = new TopKHeap(Math.min(k, pairs.length));
        for (const p of [...pairs].sort(() => r() - 0.5)) heap.offer(p.score, p.row);
        expect(heap.sorted()).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
