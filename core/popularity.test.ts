import { describe, expect, it } from "vitest";
import { popularityOf } from "./popularity.ts";

describe("popularityOf", () => {
  it("is log(1 + clicks) over log(1 + the most clicks), 0 for an item nobody clicked", () => {
    // Row 0: 3 + 4 = 7 clicks; row 2: 1; row 3: a row without a count counts once, as training weighs it.
    const p = popularityOf([0, 2, 0, 3], [3, 1, 4, 0], 5);
    expect(p[0]).toBeCloseTo(1, 6);
    expect(p[1]).toBe(0);
    expect(p[2]).toBeCloseTo(Math.log(2) / Math.log(8), 6);
    expect(p[3]).toBeCloseTo(Math.log(2) / Math.log(8), 6);
    expect(p[4]).toBe(0);
  });

  it("is all zeros without clicks, and refuses rows outside the catalog or unmatched counts", () => {
    expect([...popularityOf([], [], 3)]).toEqual([0, 0, 0]);
    expect(() => popularityOf([0, 3], [1, 1], 3)).toThrow(/click row 1 names row 3, outside \[0, 3\)/);
    expect(() => popularityOf([0], [1, 2], 3)).toThrow(/1 click rows but 2 counts/);
  });
});
