import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { categoryConsistency, evaluateRankings, hitRateAtK, intentCategoryOf, ndcgAt10, recallAtK, relevanceRate, type EvalQuery } from "./metrics.ts";

// Six items; category of row r is CATS[r].
const CATS = ["A", "A", "B", "A", "B", "C"];
// q0: graded (row 1 grade 2, rows 3 and 4 grade 1), clicked rows 1 and 4; intent from clicks (A/B tie → "A").
// q1: unjudged, clicked row 0 (ranked last), intent given as "C".
// q2: no clicks: skipped by recall/hit/NDCG, and has no intent category.
const Q: EvalQuery[] = [
  {
    ranking: [0, 1, 2, 3, 4, 5],
    targets: new Set([1, 4]),
    grades: new Map([
      [1, 2],
      [3, 1],
      [4, 1],
    ]),
  },
  { ranking: [5, 4, 3, 2, 1, 0], targets: new Set([0]), intentCategory: "C" },
  { ranking: [2, 0, 1, 3, 4, 5], targets: new Set() },
];
// "Title omits the attribute" for rows 3, 4, 5 (every query).
const OMITS = new Set([3, 4, 5]);

describe("metrics on a fixed ranking (hand-computed)", () => {
  it("Recall@K (eq. 4): per-query |topK ∩ T| / |T|, averaged over q0, q1", () => {
    expect(recallAtK(Q, 1)).toBe(0); // q0 {0}∩{1,4} = 0/2; q1 {5}∩{0} = 0/1 → (0 + 0) / 2
    expect(recallAtK(Q, 2)).toBe(0.25); // q0 {0,1} → 1/2; q1 {5,4} → 0 → (0.5 + 0) / 2
    expect(recallAtK(Q, 5)).toBe(0.5); // q0 {0..4} → 2/2; q1 {5,4,3,2,1} → 0 → (1 + 0) / 2
    expect(recallAtK(Q, 6)).toBe(1); // both complete → (1 + 1) / 2
  });

  it("HitRate@K: share of q0, q1 with a target in the top K", () => {
    expect(hitRateAtK(Q, 1)).toBe(0); // neither
    expect(hitRateAtK(Q, 2)).toBe(0.5); // q0 only (row 1 at rank 2) → 1/2
    expect(hitRateAtK(Q, 6)).toBe(1); // both
  });

  it("NDCG@10: graded for q0 (gain 2^g − 1), binary for q1", () => {
    // q0 DCG: row1 at rank 2 → 3/log2(3) = 1.89279; row3 at rank 4 → 1/log2(5) = 0.43068;
    //         row4 at rank 5 → 1/log2(6) = 0.38685; sum 2.71032.
    //    IDCG: grades 2,1,1 → 3/1 + 1/log2(3) + 1/log2(4) = 3 + 0.63093 + 0.5 = 4.13093 → 0.65611.
    // q1 DCG: row0 at rank 6 → 1/log2(7) = 0.35621; IDCG 1 → 0.35621.
    // mean (0.65611 + 0.35621) / 2 = 0.50616.
    expect(ndcgAt10(Q)).toBeCloseTo(0.50616, 4);
  });

  it("relevance rate@K (eq. 5): only judged q0 counts", () => {
    expect(relevanceRate(Q, 1)).toBe(0); // {0}: grade 0 → 0/1
    expect(relevanceRate(Q, 2)).toBe(0.5); // {0,1}: row 1 relevant → 1/2
    expect(relevanceRate(Q, 5)).toBe(0.6); // {0,1,2,3,4}: rows 1,3,4 → 3/5
  });

  it("category consistency@K (eq. 6): q0 intent A (tie broken by name), q1 intent C (given)", () => {
    expect(intentCategoryOf([1, 4], CATS)).toBe("A");
    expect(categoryConsistency(Q, CATS, 2)).toBe(0.75); // q0 {A,A} → 1; q1 {C,B} → 1/2 → (1 + 0.5) / 2
    expect(categoryConsistency(Q, CATS, 3)).toBe(0.5); // q0 {A,A,B} → 2/3; q1 {C,B,A} → 1/3 → 0.5
  });

  it("evaluateRankings: overall and the 'title omits attribute' slice", () => {
    const t = evaluateRankings({ queries: Q, itemCategories: CATS, ks: [5, 2], slices: [{ name: "omits", item: (_q, r) => OMITS.has(r) }] });
    expect(t.ks).toEqual([2, 5]);
    expect(t.overall.queries).toBe(2);
    expect(t.overall.recall).toEqual({ 2: 0.25, 5: 0.5 });
    const s = t.slices["omits"]!;
    // Sliced q0: targets {4}, grades {3:1, 4:1}, counted rows {3,4,5}; q1: targets {} (row 0 is not in the slice).
    expect(s.queries).toBe(1);
    expect(s.recall).toEqual({ 2: 0, 5: 1 }); // q0 top2 {0,1} ∌ 4 → 0; top5 ∋ 4 → 1/1
    expect(s.hitRate).toEqual({ 2: 0, 5: 1 });
    // q0 DCG 1/log2(5) + 1/log2(6) = 0.43068 + 0.38685 = 0.81753; IDCG 1 + 1/log2(3) = 1.63093 → 0.50127.
    expect(s.ndcg10).toBeCloseTo(0.50127, 4);
    // Relevance: top2 holds no slice item (q0 skipped) → null; top5 slice items {3,4} both graded → 1.
    expect(s.relevance).toEqual({ 2: null, 5: 1 });
    // Category@5: q0 slice items {3:A, 4:B} vs A → 1/2; q1 {5:C, 4:B, 3:A} vs C → 1/3; mean 5/12 = 0.41667.
    expect(s.categoryConsistency[5]).toBeCloseTo(5 / 12, 10);
  });

  it("query slices, duplicates and missing data", () => {
    const t = evaluateRankings({ queries: Q, ks: [5, 6], slices: [{ name: "q1", query: (q) => q === 1 }] });
    expect(t.slices["q1"]!.recall).toEqual({ 5: 0, 6: 1 });
    expect(t.overall.categoryConsistency).toEqual({ 5: null, 6: null }); // no categories given
    expect(recallAtK([{ ranking: [1, 1, 1], targets: new Set([1]) }], 3)).toBe(1); // a repeated row counts once
    expect(recallAtK([], 10)).toBeNull();
    expect(relevanceRate([Q[1]!], 10)).toBeNull(); // nothing judged
  });
});

/** A query over n items: a random permutation as ranking, random targets and optional grades. */
const queryArb = (n: number) =>
  fc.record({
    perm: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    targets: fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: n }),
    grades: fc.option(fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 0, max: 3 })), { maxLength: n }), { nil: undefined }),
  });
const setArb = fc
  .integer({ min: 1, max: 25 })
  .chain((n) => fc.record({ n: fc.constant(n), cats: fc.array(fc.constantFrom("A", "B", "C"), { minLength: n, maxLength: n }), qs: fc.array(queryArb(n), { minLength: 1, maxLength: 6 }) }));
const KS = [1, 2, 5, 10, 20, 30];
const in01 = (x: number | null) => x === null || (x >= 0 && x <= 1 + 1e-12);

describe("metric properties", () => {
  it("are in [0,1], recall and hit rate never fall as K grows", () => {
    fc.assert(
      fc.property(setArb, ({ cats, qs }) => {
        const queries: EvalQuery[] = qs.map((q) => ({ ranking: q.perm, targets: new Set(q.targets), ...(q.grades ? { grades: new Map(q.grades) } : {}) }));
        const t = evaluateRankings({ queries, itemCategories: cats, ks: KS, slices: [{ name: "odd", item: (_q, r) => r % 2 === 1 }] });
        for (const m of [t.overall, t.slices["odd"]!]) {
          expect(in01(m.ndcg10)).toBe(true);
          for (const k of KS) for (const f of [m.recall, m.hitRate, m.relevance, m.categoryConsistency]) expect(in01(f[k]!)).toBe(true);
          for (let i = 1; i < KS.length; i++) {
            expect(m.recall[KS[i]!] ?? 0).toBeGreaterThanOrEqual((m.recall[KS[i - 1]!] ?? 0) - 1e-12);
            expect(m.hitRate[KS[i]!] ?? 0).toBeGreaterThanOrEqual((m.hitRate[KS[i - 1]!] ?? 0) - 1e-12);
          }
        }
      }),
    );
  });

  it("a perfect ranking scores 1", () => {
    fc.assert(
      fc.property(setArb, ({ n, qs }) => {
        // Targets first (binary NDCG), or judged items by grade, best first (graded NDCG).
        const queries: EvalQuery[] = qs.map((q) => {
          const grades = q.grades ? new Map(q.grades) : undefined;
          const score = (r: number) => (grades && [...grades.values()].some((g) => g > 0) ? (grades.get(r) ?? 0) : q.targets.includes(r) ? 1 : 0);
          const ranking = [...Array(n).keys()].sort((a, b) => score(b) - score(a) || a - b);
          return { ranking, targets: new Set(q.targets), ...(grades ? { grades } : {}) };
        });
        expect(ndcgAt10(queries)).toBeCloseTo(1, 10);
        // Targets first for recall: with K ≥ |T| every target is in.
        const byTargets = queries.map((q) => ({ ...q, ranking: [...Array(n).keys()].sort((a, b) => Number(q.targets.has(b)) - Number(q.targets.has(a)) || a - b) }));
        expect(recallAtK(byTargets, n)).toBe(1);
        expect(hitRateAtK(byTargets, 1)).toBe(1);
      }),
    );
  });
});

describe("filtered slices", () => {
  it("takes excluded rows out of the ranking before scoring", () => {
    // Rows 7 and 8 are known (excluded) positives ranked first; the held-out target 3 comes third.
    const queries = [{ ranking: [7, 8, 3, 4], targets: new Set([3]) }];
    const t = evaluateRankings({
      queries,
      ks: [1, 2],
      slices: [
        { name: "plain", item: (_q, r) => r === 3 },
        { name: "filtered", item: (_q, r) => r === 3, exclude: (_q, r) => r === 7 || r === 8 },
      ],
    });
    expect(t.slices.plain!.recall[1]).toBe(0);
    expect(t.slices.filtered!.recall[1]).toBe(1);
    expect(t.slices.plain!.ndcg10).toBeCloseTo(0.5, 10); // 1 / log2(4)
    expect(t.slices.filtered!.ndcg10).toBe(1);
  });
});
