import { describe, expect, it } from "vitest";
import { hitRateAtK } from "./encode-all.ts";

describe("hitRateAtK", () => {
  it("counts a query when a clicked row is in its exact top-k, ties going to the lower row", () => {
    // 1-d items 3, 2, 2, 1; query 1: top-2 = rows 0 and 1 (rows 1 and 2 tie: the lower row wins).
    const items = Float32Array.from([3, 2, 2, 1]);
    const queries = Float32Array.from([1, 1, 1]);
    expect(hitRateAtK(items, queries, 1, [new Set([1]), new Set([2]), new Set([3, 0])], 2)).toBeCloseTo(2 / 3, 12);
    expect(hitRateAtK(items, queries, 1, [], 2)).toBe(0);
  });
});
