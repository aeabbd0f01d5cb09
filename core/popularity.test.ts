import { describe, expect, it } from "vitest";
import { popularityOf } from "./popularity.ts";

describe("popularityOf", () => {
  it("is log(1 + clicks) over log(1 + the most clicks); an item nobody clicked scores the median clicked item", () => {
    // Row 0: 3 + 4 = 7 clicks; row 2: 1; row 3: a row without a count counts once, as training weighs it.
    const p = popularityOf([0, 2, 0, 3], [3, 1, 4, 0], 5);
    const once = Math.log(2) / Math.log(8);
    expect(p[0]).toBeCloseTo(1, 6);
    expect(p[2]).toBeCloseTo(once, 6);
    expect(p[3]).toBeCloseTo(once, 6);
    // Clicked rows score 1, once, once: the median is once.
    expect(p[1]).toBeCloseTo(once, 6);
    expect(p[4]).toBeCloseTo(once, 6);
    // An even count of clicked rows: the mean of the middle two.
    const q = popularityOf([0, 0, 0, 1], [1, 1, 1, 1], 3);
    expect(q[2]).toBeCloseTo((1 + Math.log(2) / Math.log(4)) / 2, 6);
  });

  it("scores a never-clicked item 0 when asked for the raw click order", () => {
    const p = popularityOf([0, 2, 0, 3], [3, 1, 4, 0], 5, { unclicked: "zero" });
    expect(p[1]).toBe(0);
    expect(p[4]).toBe(0);
    expect(p[2]).toBeCloseTo(Math.log(2) / Math.log(8), 6);
  });

  it("is all zeros without clicks, and refuses rows outside the catalog or unmatched counts", () => {
    expect([...popularityOf([], [], 3)]).toEqual([0, 0, 0]);
    expect(() => popularityOf([0, 3], [1, 1], 3)).toThrow(/click row 1 names row 3, outside \[0, 3\)/);
    expect(() => popularityOf([0], [1, 2], 3)).toThrow(/1 click rows but 2 counts/);
  });
});
