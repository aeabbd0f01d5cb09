import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dot, topKInnerProduct } from "./top-k.ts";
import { nextReleaseId, releaseOfTable } from "./release-names.ts";

function naive(items: Float32Array, dim: number, q: Float32Array, k: number): number[] {
  const n = items.length / dim;
  return Array.from({ length: n }, (_, i) => ({ i, s: dot(items, i * dim, q, 0, dim) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}

describe("topKInnerProduct", () => {
  it("equals a naive sort (score desc, then row asc) for any sizes, block remainders and ties", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (dim, n, nq, k, seed) => {
          let s = seed;
          // Values from a tiny set so exact ties are common.
          const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 5) - 2;
          const items = Float32Array.from({ length: n * dim }, next);
          const qs = Array.from({ length: nq }, () => Float32Array.from({ length: dim }, next));
          const got = topKInnerProduct(items, dim, qs, k, { queryBlock: 4, itemTile: 7 });
          expect(got).toHaveLength(nq);
          got.forEach((t, q) => {
            expect(Array.from(t.indices)).toEqual(naive(items, dim, qs[q]!, k));
            expect(Array.from(t.scores)).toEqual(Array.from(t.indices, (i) => Math.fround(dot(items, i * dim, qs[q]!, 0, dim))));
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("release names", () => {
  it("numbers past every release and leftover table", () => {
    expect(nextReleaseId([], [])).toBe("r001");
    expect(nextReleaseId(["catalog", "items_r001", "qids_r004", "releases"], ["r001"])).toBe("r005");
    expect(nextReleaseId(["items_r999"], [])).toBe("r1000");
    expect(releaseOfTable("lexicon_r012")).toBe("r012");
    expect(releaseOfTable("items_rx")).toBeNull();
  });
});
