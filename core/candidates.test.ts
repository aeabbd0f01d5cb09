import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterToPredicate, type FilterableItem } from "./filter-predicate.ts";
import type { FilterExpr } from "./filter-schema.ts";
import { estimateMatches, matchingRows, type FilterColumns } from "./candidates.ts";
import { filterColumnIndex } from "./filter-bitmap.ts";

// The postings shortcut must return exactly the rows the SQL-semantics predicate accepts.
function columns(items: FilterableItem[], bitmaps = false): FilterColumns {
  const postings = { brand: new Map<string, number[]>(), category: new Map<string, number[]>() };
  items.forEach((it, r) => {
    for (const f of ["brand", "category"] as const) {
      const v = it[f];
      if (v == null) continue;
      const l = postings[f].get(v) ?? [];
      l.push(r);
      postings[f].set(v, l);
    }
  });
  const freeze = (m: Map<string, number[]>) => new Map([...m].map(([k, v]) => [k, Uint32Array.from(v)]));
  const cols: FilterColumns = { n: items.length, postings: { brand: freeze(postings.brand), category: freeze(postings.category) }, item: (r) => items[r]! };
  if (bitmaps) {
    const attrs = new Map([["size", items.map((it) => it.attributes?.size ?? null)]]);
    cols.columns = filterColumnIndex({
      brands: items.map((it) => it.brand ?? null),
      categories: items.map((it) => it.category ?? null),
      prices: items.map((it) => it.price ?? null),
      attributeColumns: attrs,
    });
  }
  return cols;
}

const brand = fc.constantFrom("a", "b", "c", "d");
const cat = fc.constantFrom("x", "y", "z");
const item = fc.record({
  brand: fc.option(brand, { nil: null }),
  category: fc.option(cat, { nil: null }),
  price: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  attributes: fc.oneof(fc.constant({ size: "m" }), fc.constant({ size: "l" }), fc.constant(null)),
});
const leaf: fc.Arbitrary<FilterExpr> = fc.oneof(
  brand.map((v) => ({ op: "eq", field: "brand", value: v }) as FilterExpr),
  fc.array(cat, { minLength: 1, maxLength: 3 }).map((vs) => ({ op: "in", field: "category", values: vs }) as FilterExpr),
  fc.integer({ min: 0, max: 100 }).map((v) => ({ op: "range", field: "price", lte: v }) as FilterExpr),
  fc.constant({ op: "eq", field: "attributes.size", value: "m" } as FilterExpr),
  fc.constant({ op: "in", field: "attributes.constructor", values: ["m"] } as FilterExpr),
  fc.integer({ min: 0, max: 100 }).map((v) => ({ op: "in", field: "price", values: [v, v + 1] }) as FilterExpr),
);
const expr = fc.letrec<{ e: FilterExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("e"), { minLength: 1, maxLength: 3 }).map((fs) => ({ op: "and", filters: fs }) as FilterExpr),
    fc.array(tie("e"), { minLength: 1, maxLength: 3 }).map((fs) => ({ op: "or", filters: fs }) as FilterExpr),
    tie("e").map((f) => ({ op: "not", filter: f }) as FilterExpr),
  ),
})).e;

describe("matchingRows", () => {
  it("returns exactly the predicate's rows, ascending, and the estimate bounds them (property)", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), expr, fc.boolean(), fc.integer({ min: 0, max: 70 }), (items, f, bitmaps, limit) => {
        // With column bitmaps, filters over many rows are evaluated whole-column (filter-bitmap.ts).
        const cols = columns(items, bitmaps);
        const pred = filterToPredicate(f);
        const want = items.flatMap((it, r) => (pred(it) ? [r] : []));
        expect(Array.from(matchingRows(f, cols)!)).toEqual(want);
        expect(estimateMatches(f, cols)).toBeGreaterThanOrEqual(want.length);
        // Under a limit: the same rows, or null exactly when the postings superset is past it.
        const limited = matchingRows(f, cols, limit);
        if (estimateMatches(f, cols) > limit) expect(limited).toBeNull();
        else expect(Array.from(limited!)).toEqual(want);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("gives up past the limit so the caller can take the ANN index", () => {
    for (const bitmaps of [false, true]) {
      const cols = columns(
        Array.from({ length: 10 }, () => ({ brand: "a", category: "x", price: 1 })),
        bitmaps,
      );
      expect(matchingRows({ op: "eq", field: "brand", value: "a" }, cols, 5)).toBeNull();
      expect(matchingRows({ op: "eq", field: "brand", value: "a" }, cols, 10)).toHaveLength(10);
      expect(matchingRows({ op: "range", field: "price", lte: 1 }, cols, 9)).toBeNull();
      expect(matchingRows({ op: "range", field: "price", lte: 1 }, cols, 10)).toHaveLength(10);
    }
  });
});
