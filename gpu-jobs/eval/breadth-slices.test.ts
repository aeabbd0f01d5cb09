import { describe, expect, it } from "vitest";
import { applySlice, evaluateRankings } from "../../core/index.ts";
import { BROAD_QUERY_RELEVANT, breadthSlices, SLICES } from "./eval-context.ts";

// Query 0 ("tee") has BROAD_QUERY_RELEVANT + 1 relevant items, query 1 ("red tee") exactly the bound, query 2 none judged.
const judged = (terms: string, n: number, grade = 1) => Array.from({ length: n }, (_, i) => ({ terms, item_id: `i${i}`, grade }));
const judgments = [...judged("tee", BROAD_QUERY_RELEVANT + 1), ...judged("red tee", BROAD_QUERY_RELEVANT), ...judged("red tee", 20, 0).map((j) => ({ ...j, item_id: `z${j.item_id}` }))];
const queries = ["tee", "red tee", "hat"];
const seen = (q: number, row: number) => q === 0 && row === 1;

describe("breadthSlices", () => {
  it("puts a query with more judged-relevant items than the bound in broad, one at the bound in narrow, an unjudged one in neither", () => {
    const [broad, narrow] = breadthSlices(queries, judgments, seen);
    expect(broad!.name).toBe(SLICES.unseenBroad);
    expect(queries.map((_, q) => broad!.query!(q))).toEqual([true, false, false]);
    expect(queries.map((_, q) => narrow!.query!(q))).toEqual([false, true, false]);
  });

  it("scores unseen pairs only, with the query's training clicks taken out of the ranking", () => {
    const [broad] = breadthSlices(queries, judgments, seen);
    // Row 1 was clicked for "tee" in training: it leaves the ranking, so held-out row 2 counts as rank 1.
    const ranked = [
      { ranking: [1, 2, 3], targets: new Set([2]) },
      { ranking: [5], targets: new Set([5]) },
      { ranking: [7], targets: new Set([7]) },
    ];
    expect(applySlice(ranked, broad!)[0]!.ranking).toEqual([2, 3]);
    const t = evaluateRankings({ queries: ranked, ks: [1], slices: [broad!] });
    expect(t.slices[SLICES.unseenBroad]!.queries).toBe(1);
    expect(t.slices[SLICES.unseenBroad]!.recall[1]).toBe(1);
  });

  it("gives no slices without judgments", () => {
    expect(breadthSlices(queries, [], seen)).toEqual([]);
  });
});
