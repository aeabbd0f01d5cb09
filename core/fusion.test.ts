import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLEND_GRID, blendLabel, fuse, parseBlend, parseBlendSpec, type ScoredRow } from "./fusion.ts";

const list = (...pairs: [number, number][]): ScoredRow[] => pairs.map(([row, score]) => ({ row, score }));
const rows = (xs: { row: number }[]) => xs.map((x) => x.row);
// A channel's best-first list of distinct rows in [0, maxRow], and a popularity per row.
const channelArb = (maxRow: number, maxLength: number) =>
  fc
    .uniqueArray(fc.record({ row: fc.nat(maxRow), score: fc.double({ min: -5, max: 5, noNaN: true }) }), { selector: (h) => h.row, maxLength })
    .map((xs) => xs.sort((a, b) => b.score - a.score || a.row - b.row));
const popularityArb = (n: number) => fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));

// Vector rows 2 and 9 tie on raw score (list order 2, 9); lexical rows 11 and 7 tie (order 11, 7).
const V = list([5, 0.9], [2, 0.8], [9, 0.8], [7, 0.1]);
const L = list([9, 3], [11, 2], [7, 2], [4, 1]);

describe("fuse", () => {
  it("weight 1 reproduces the vector order, then lexical-only rows in lexical order", () => {
    for (const method of ["convex", "rrf"] as const) {
      expect(rows(fuse(V, L, { method, weight: 1 }, 10))).toEqual([5, 2, 9, 7, 11, 4]);
    }
  });

  it("weight 0 reproduces the lexical order, then vector-only rows in vector order", () => {
    for (const method of ["convex", "rrf"] as const) {
      expect(rows(fuse(V, L, { method, weight: 0 }, 10))).toEqual([9, 11, 7, 4, 5, 2]);
    }
  });

  it("computes a convex blend of min–max normalised scores", () => {
    // vector 0.9, 0.7, 0.5 → 1, 0.5, 0; lexical 10, 6, 2 → 1, 0.5, 0; w = 0.6
    const out = fuse(list([1, 0.9], [2, 0.7], [3, 0.5]), list([3, 10], [4, 6], [1, 2]), { method: "convex", weight: 0.6 }, 10);
    expect(rows(out)).toEqual([1, 3, 2, 4]);
    const score = Object.fromEntries(out.map((r) => [r.row, r.score]));
    expect(score[1]).toBeCloseTo(0.6, 12); //  0.6·1   + 0.4·0
    expect(score[3]).toBeCloseTo(0.4, 12); //  0.6·0   + 0.4·1
    expect(score[2]).toBeCloseTo(0.3, 12); //  0.6·0.5 + absent
    expect(score[4]).toBeCloseTo(0.2, 12); //  absent  + 0.4·0.5
    expect(out[0]).toEqual({ row: 1, score: expect.closeTo(0.6, 12), vector: 0.9, lexical: 2 });
    expect(out.find((r) => r.row === 4)).toEqual({ row: 4, score: expect.closeTo(0.2, 12), vector: null, lexical: 6 });
  });

  it("maps a flat channel to 1 and ignores an empty one", () => {
    const out = fuse(list([4, 0.5], [8, 0.5]), [], { method: "convex", weight: 0.3 }, 10);
    expect(out).toEqual([
      { row: 4, score: expect.closeTo(0.3, 12), vector: 0.5, lexical: null },
      { row: 8, score: expect.closeTo(0.3, 12), vector: 0.5, lexical: null },
    ]);
    expect(fuse([], [], { method: "convex", weight: 0.5 }, 10)).toEqual([]);
  });

  it("computes reciprocal-rank fusion with 1-based ranks", () => {
    const v = list([1, 0.9], [2, 0.7], [3, 0.5]);
    const l = list([3, 10], [4, 6], [1, 2]);
    const out = fuse(v, l, { method: "rrf", weight: 0.5 }, 10);
    // rows 1 and 3 tie (1/61 + 1/63, halved), as do 2 and 4 (1/62, halved): the vector rank decides at w = 0.5
    expect(rows(out)).toEqual([1, 3, 2, 4]);
    expect(out[0]!.score).toBeCloseTo(0.5 / 61 + 0.5 / 63, 15);
    expect(out[2]!.score).toBeCloseTo(0.5 / 62, 15);
    const k10 = fuse(v, l, { method: "rrf", weight: 0.7, rrfK: 10 }, 10);
    expect(k10.map((r) => [r.row, r.score])).toEqual([
      [1, expect.closeTo(0.7 / 11 + 0.3 / 13, 15)],
      [3, expect.closeTo(0.7 / 13 + 0.3 / 11, 15)], // ≈ 0.0811
      [2, expect.closeTo(0.7 / 12, 15)], //              ≈ 0.0583
      [4, expect.closeTo(0.3 / 12, 15)],
    ]);
  });

  it("merges a row found by both channels once and truncates to k", () => {
    const out = fuse(V, L, { method: "convex", weight: 0.5 }, 100);
    expect(out).toHaveLength(6);
    expect(out.filter((r) => r.row === 9)).toEqual([{ row: 9, score: expect.any(Number), vector: 0.8, lexical: 3 }]);
    expect(fuse(V, L, { method: "convex", weight: 0.5 }, 3)).toEqual(out.slice(0, 3));
    expect(fuse(V, L, { method: "rrf", weight: 0.5 }, 0)).toEqual([]);
  });

  it("mixes the popularity prior into scored rows only, and a prior of 0 or no popularity changes nothing", () => {
    const v = list([1, 0.9], [2, 0.7], [3, 0.5]);
    const l = list([3, 10], [4, 6], [1, 2]);
    const pop = Float32Array.from([0, 0, 1, 0.5, 0.9]);
    const plain = fuse(v, l, { method: "convex", weight: 0.6 }, 10);
    expect(fuse(v, l, { method: "convex", weight: 0.6, prior: 0 }, 10, Infinity, pop)).toEqual(plain);
    expect(fuse(v, l, { method: "convex", weight: 0.6, prior: 0.3 }, 10)).toEqual(plain);
    // (1 − 0.3) · channels + 0.3 · popularity: rows 1, 3, 2, 4 score 0.42, 0.43, 0.51, 0.41.
    const out = fuse(v, l, { method: "convex", weight: 0.6, prior: 0.3 }, 10, Infinity, pop);
    expect(out.map((r) => [r.row, r.score])).toEqual([
      [2, expect.closeTo(0.7 * 0.3 + 0.3 * 1, 6)],
      [3, expect.closeTo(0.7 * 0.4 + 0.3 * 0.5, 6)],
      [1, expect.closeTo(0.7 * 0.6 + 0.3 * 0, 6)],
      [4, expect.closeTo(0.7 * 0.2 + 0.3 * 0.9, 6)],
    ]);
    // RRF's part is scaled by rrfK + 1 to [0, 1] first, so the prior weighs the same as in a convex blend.
    const rrf = fuse(v, l, { method: "rrf", weight: 0.5, rrfK: 10, prior: 0.5 }, 10, Infinity, pop);
    expect(rrf.find((r) => r.row === 2)!.score).toBeCloseTo(0.5 * 11 * (0.5 / 12) + 0.5 * 1, 6);
    // Past scoredDepth a row takes no prior and still comes after every scored row.
    const deep = fuse(v, l, { method: "convex", weight: 1, prior: 0.9 }, 10, 1, Float32Array.from([0, 0, 1, 1, 1]));
    expect(rows(deep)[0]).toBe(1);
    expect(deep[0]!.score).toBeCloseTo(0.1, 6);
    expect(deep.slice(1).every((r) => r.score === 0)).toBe(true);
    expect(() => fuse(v, l, { method: "convex", weight: 0.5, prior: 1 }, 10, Infinity, pop)).toThrow(/prior must be in \[0, 1\)/);
  });

  it("with a fixed scoredDepth, a deeper search only appends to the ranking, with or without a prior (property)", () => {
    const channel = channelArb(60, 40);
    fc.assert(
      fc.property(channel, channel, fc.constantFrom("convex", "rrf"), fc.constantFrom(0, 0.3, 0.5, 1), fc.constantFrom(0, 0.3, 0.9), popularityArb(61), (v, l, method, weight, prior, popularity) => {
        const blend = { method, weight, prior };
        // The shallow search saw each channel's first 15 rows, the deep one all of them; both score through 10.
        const shallow = fuse(v.slice(0, 15), l.slice(0, 15), blend, 10, 10, popularity);
        const deep = fuse(v, l, blend, 10, 10, popularity);
        expect(rows(deep)).toEqual(rows(shallow));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("rejects a weight outside [0, 1]", () => {
    expect(() => fuse(V, L, { method: "convex", weight: 1.5 }, 5)).toThrow(/weight/);
  });

  it("returns sorted, distinct rows, at most k, with or without a prior (property)", () => {
    const channel = channelArb(40, 25);
    fc.assert(
      fc.property(
        channel,
        channel,
        fc.constantFrom("convex", "rrf"),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(0, 0.3, 0.9),
        popularityArb(41),
        (v, l, method, weight, k, prior, pop) => {
          const out = fuse(v, l, { method, weight, prior }, k, Infinity, pop);
          const union = new Set([...v, ...l].map((h) => h.row));
          expect(out.length).toBe(Math.min(k, union.size));
          expect(new Set(rows(out)).size).toBe(out.length);
          for (let i = 1; i < out.length; i++) expect(out[i - 1]!.score).toBeGreaterThanOrEqual(out[i]!.score);
          for (const r of out) {
            expect(r.vector).toBe(v.find((h) => h.row === r.row)?.score ?? null);
            expect(r.lexical).toBe(l.find((h) => h.row === r.row)?.score ?? null);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("blend", () => {
  it("has an 11-step grid of exact decimals", () => {
    expect(BLEND_GRID).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it("parses a valid blend and names the bad field otherwise", () => {
    expect(parseBlend({ method: "convex", weight: 0.3 })).toEqual({ method: "convex", weight: 0.3 });
    expect(parseBlend({ method: "rrf", weight: 1, rrfK: 20 })).toEqual({ method: "rrf", weight: 1, rrfK: 20 });
    expect(() => parseBlend({ method: "convex", weight: 1.2 })).toThrow(/weight: weight must be ≤ 1/);
    expect(() => parseBlend({ method: "max", weight: 0.5 })).toThrow(/method: method must be "convex" or "rrf"/);
    expect(() => parseBlend({ method: "rrf", weight: 0.5, rrfK: 0 })).toThrow(/rrfK: rrfK must be > 0/);
    expect(() => parseBlend({ method: "rrf" })).toThrow(/weight/);
    expect(() => parseBlend({ method: "rrf", weight: 0.5, wieght: 1 })).toThrow(/wieght/);
    expect(() => parseBlend(null)).toThrow(/invalid blend/);
    expect(parseBlend({ method: "convex", weight: 0.6, prior: 0.2 })).toEqual({ method: "convex", weight: 0.6, prior: 0.2 });
    expect(parseBlend({ method: "convex", weight: 0.6, prior: 0 })).toEqual({ method: "convex", weight: 0.6 });
    expect(() => parseBlend({ method: "convex", weight: 0.6, prior: 1 })).toThrow(/prior: prior must be < 1/);
  });

  it("reads the command line's form, prior included, and labels it", () => {
    expect(parseBlendSpec("0.7")).toEqual({ method: "convex", weight: 0.7 });
    expect(parseBlendSpec("rrf:0.5,prior:0.2")).toEqual({ method: "rrf", weight: 0.5, prior: 0.2 });
    expect(parseBlendSpec("0.7,prior:0")).toEqual({ method: "convex", weight: 0.7 });
    for (const bad of ["0.7,prior:1", "1.2", "0.7,prior", "prior:0.2", "0.7;prior:0.2"]) expect(parseBlendSpec(bad)).toBeNull();
    expect(blendLabel({ method: "convex", weight: 0.6, prior: 0.2 })).toBe("w 0.6 prior 0.2");
    expect(blendLabel({ method: "rrf", weight: 0.5 })).toBe("rrf w 0.5");
  });
});
