import { describe, expect, it } from "vitest";
import { oracleRankings } from "./oracle.ts";

const ids = Array.from({ length: 12 }, (_, i) => `i${i}`);
const judgments = [
  { terms: "tee", item_id: "i3", grade: 1 },
  { terms: "tee", item_id: "i7", grade: 2 },
  { terms: "tee", item_id: "i5", grade: 1 },
  { terms: "tee", item_id: "i9", grade: 1 },
  { terms: "tee", item_id: "i1", grade: 0 },
  { terms: "tee", item_id: "gone", grade: 2 },
  { terms: "bag", item_id: "i0", grade: 1 },
];

describe("oracleRankings", () => {
  it("puts judged-relevant items first by grade, then fills with distinct unjudged rows up to k", () => {
    const [tee, bag, none] = oracleRankings({ queries: ["tee", "bag", "hat"], judgments, itemIds: ids, k: 8, ties: "random" });
    expect(tee![0]).toBe(7);
    expect(new Set(tee!.slice(1, 4))).toEqual(new Set([3, 5, 9]));
    // Grade 0 is not relevant: it may come only among the random fill, never before a relevant item.
    expect([...tee!.slice(4)].every((r) => ![7, 3, 5, 9].includes(r))).toBe(true);
    expect(new Set(tee).size).toBe(8);
    expect(bag![0]).toBe(0);
    expect(new Set(none).size).toBe(8);
  });

  it("orders equal grades by training clicks when asked, and by a seeded random order otherwise", () => {
    const clicks = new Float64Array(12);
    clicks[9] = 30;
    clicks[5] = 20;
    clicks[3] = 10;
    const [byClicks] = oracleRankings({ queries: ["tee"], judgments, itemIds: ids, k: 4, ties: "clicks", clicks });
    expect([...byClicks!]).toEqual([7, 9, 5, 3]);
    const a = oracleRankings({ queries: ["tee", "bag"], judgments, itemIds: ids, k: 12, ties: "random", seed: 4 });
    const b = oracleRankings({ queries: ["tee", "bag"], judgments, itemIds: ids, k: 12, ties: "random", seed: 4 });
    expect(a.map((r) => [...r])).toEqual(b.map((r) => [...r]));
    const seeds = Array.from({ length: 6 }, (_, s) => [...oracleRankings({ queries: ["hat"], judgments, itemIds: ids, k: 12, ties: "random", seed: s + 1 })[0]!].join());
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it("refuses ties by clicks without a click weight per item", () => {
    expect(() => oracleRankings({ queries: ["tee"], judgments, itemIds: ids, k: 4, ties: "clicks", clicks: [1, 2] })).toThrow(/click weight per item \(12\)/);
  });
});
