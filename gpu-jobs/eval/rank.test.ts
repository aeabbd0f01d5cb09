import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exactTopK } from "./rank.ts";

/** Reference: score every item, sort by score desc then row asc. */
function naive(items: Float32Array, queries: Float32Array, dim: number, k: number): number[][] {
  const n = items.length / dim;
  const out: number[][] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    const s = Array.from({ length: n }, (_, i) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += items[i * dim + j]! * queries[q * dim + j]!;
      return d;
    });
    out.push([...s.keys()].sort((a, b) => s[b]! - s[a]! || a - b).slice(0, k));
  }
  return out;
}

describe("exactTopK", () => {
  it("matches a full sort, ties to the lower row", () => {
    // 2-d items: scores for query (1, 0) are 3, 1, 3, 2, 0 → rows 0, 2 (tie: lower first), 3.
    const items = Float32Array.from([3, 0, 1, 0, 3, 5, 2, 0, 0, 1]);
    const r = exactTopK({ items, queries: Float32Array.from([1, 0, 0, 1]), dim: 2, k: 3 });
    expect([...r.rows[0]!]).toEqual([0, 2, 3]);
    expect([...r.scores[0]!]).toEqual([3, 3, 2]);
    expect([...r.rows[1]!]).toEqual([2, 4, 0]); // query (0, 1): 5, 1, 0 (rows 0,1,3 tie at 0 → 0)
  });

  it("caps k at the catalog size and handles k = 0", () => {
    const items = Float32Array.from([1, 2, 3]);
    expect(exactTopK({ items, queries: Float32Array.from([1]), dim: 1, k: 10 }).rows[0]!.length).toBe(3);
    expect(exactTopK({ items, queries: Float32Array.from([1]), dim: 1, k: 0 }).rows[0]!.length).toBe(0);
    expect(() => exactTopK({ items, queries: Float32Array.from([1, 2]), dim: 2, k: 1 })).toThrow(RangeError);
  });

  it("agrees with the reference on random integer vectors (exact sums, many ties)", () => {
    fc.assert(
      fc.property(
        fc.record({ dim: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 60 }), m: fc.integer({ min: 1, max: 11 }), k: fc.integer({ min: 1, max: 70 }), qb: fc.integer({ min: 1, max: 9 }), ib: fc.integer({ min: 1, max: 17 }) }),
        fc.integer(),
        ({ dim, n, m, k, qb, ib }, seed) => {
          let s = seed >>> 0;
          const next = () => ((s = (s * 1103515245 + 12345) >>> 0) % 5) - 2;
          const items = Float32Array.from({ length: n * dim }, next);
          const queries = Float32Array.from({ length: m * dim }, next);
          const got = exactTopK({ items, queries, dim, k, queryBlock: qb, itemBlock: ib });
          expect(got.rows.map((r) => [...r])).toEqual(naive(items, queries, dim, k));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("ranks 1k queries × 20k items × 128 dims in seconds (2k: ~3.5 s standalone)", () => {
    const dim = 128;
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const items = Float32Array.from({ length: 20_000 * dim }, rnd);
    const queries = Float32Array.from({ length: 1_000 * dim }, rnd);
    const t = performance.now();
    const r = exactTopK({ items, queries, dim, k: 200 });
    const secs = (performance.now() - t) / 1000;
    expect(r.rows.length).toBe(1000);
    expect(r.scores[0]![0]!).toBeGreaterThanOrEqual(r.scores[0]![199]!);
    expect(secs).toBeLessThan(20); // ~2 s here; loose so a busy CI box never fails it
  });
});
