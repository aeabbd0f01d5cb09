import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilterSchema, type FilterExpr } from "./filter-schema.ts";
import { zodIssues } from "./zod-error.ts";
import { LIMITS } from "./limits.ts";
import { filterExpr, HOSTILE, openAgreementTable, PROTOTYPE_KEYS, type AgreementTable } from "./test-filter-agreement.ts";

describe("filter → SQL, JS predicate and column bitmap", () => {
  let t: AgreementTable;
  beforeAll(async () => {
    t = await openAgreementTable();
  });
  afterAll(() => t.close());

  it("every hostile value matches exactly the rows holding it", async () => {
    for (const v of HOSTILE) {
      const f: FilterExpr = { op: "eq", field: "brand", value: v };
      const expected = t.rows
        .filter((r) => r.brand === v)
        .map((r) => r.id)
        .sort();
      expect(await t.sqlIds(f)).toEqual(expected);
      expect(t.jsIds(f)).toEqual(expected);
      expect(t.bitmapIds(f)).toEqual(expected);
    }
  });

  it("NULLs follow SQL three-valued logic in all three forms", async () => {
    const f: FilterExpr = { op: "not", filter: { op: "range", field: "price", gt: 5 } };
    const ids = await t.sqlIds(f);
    expect(ids).toEqual(t.jsIds(f));
    expect(ids).toEqual(t.bitmapIds(f));
    expect(ids.every((id) => t.rows.find((r) => r.id === id)!.price !== null)).toBe(true);
    expect(await t.sqlIds({ op: "eq", field: "attributes.colour", value: "red" })).toEqual([]);
    expect(t.bitmapIds({ op: "not", filter: { op: "eq", field: "attributes.colour", value: "red" } })).toEqual([]);
  });

  it("an attribute named like an Object.prototype property matches no row in any form", async () => {
    // Reproduction (issue 13 C): the JS predicate read Object.prototype.constructor, so not(eq) matched every row.
    for (const key of PROTOTYPE_KEYS) {
      const f = FilterSchema.parse({ op: "not", filter: { op: "eq", field: `attributes.${key}`, value: "a" } });
      expect(await t.sqlIds(f)).toEqual([]);
      expect(t.jsIds(f)).toEqual([]);
      expect(t.bitmapIds(f)).toEqual([]);
    }
    expect(t.jsIds({ op: "in", field: "attributes.constructor", values: ["function Object() { [native code] }"] })).toEqual([]);
  });

  it("in-lists on one field that cannot both hold: NOT selects no NULL row (DataFusion folds them to FALSE)", async () => {
    const f: FilterExpr = {
      op: "not",
      filter: {
        op: "and",
        filters: [
          { op: "in", field: "price", values: [0, 1] },
          { op: "in", field: "price", values: [10, 100] },
        ],
      },
    };
    const withPrice = t.rows.filter((r) => r.price !== null).map((r) => r.id);
    expect(t.jsIds(f)).toEqual(withPrice.sort());
    expect(await t.sqlIds(f)).toEqual(t.jsIds(f));
    // What LanceDB does with the plain form: every row, NULL prices included.
    expect(await t.whereIds("NOT ((price IN (CAST(0 AS DOUBLE), CAST(1 AS DOUBLE))) AND (price IN (CAST(10 AS DOUBLE), CAST(100 AS DOUBLE))))")).toHaveLength(t.rows.length);
  });

  it("random filter trees give the same rows in LanceDB, in JS and as bitmaps (property)", async () => {
    await fc.assert(
      fc.asyncProperty(filterExpr, async (f) => {
        const js = t.jsIds(f);
        expect(await t.sqlIds(f)).toEqual(js);
        expect(t.bitmapIds(f)).toEqual(js);
      }),
      { numRuns: 250, seed: 20261122 },
    );
  });
});

describe("filter schema", () => {
  it("expands the shorthand into an AND of leaves", () => {
    const f = FilterSchema.parse({ brand: "Nike", category: ["Shoes", "Bags"], price: { lte: 100 }, attributes: { material: "wool" } });
    expect(f).toEqual({
      op: "and",
      filters: [
        { op: "eq", field: "brand", value: "Nike" },
        { op: "in", field: "category", values: ["Shoes", "Bags"] },
        { op: "range", field: "price", lte: 100 },
        { op: "eq", field: "attributes.material", value: "wool" },
      ],
    });
  });

  it("refuses a filter past its budget before validating it: depth, nodes, values across the tree", () => {
    const message = (input: unknown) => {
      const r = FilterSchema.safeParse(input);
      return r.success
        ? "accepted"
        : zodIssues(r.error)
            .map((i) => i.message)
            .join(" | ");
    };
    const chain = (depth: number): unknown => (depth === 1 ? { op: "eq", field: "brand", value: "x" } : { op: "not", filter: chain(depth - 1) });
    expect(message(chain(LIMITS.filterDepth))).toBe("accepted");
    expect(message(chain(LIMITS.filterDepth + 1))).toMatch(/nest at most 8 levels/);
    // 30 deep was accepted before; 10,000 deep must not reach the recursive schema (stack) at all.
    expect(message(chain(30))).toMatch(/nest at most/);
    expect(message(chain(10_000))).toMatch(/nest at most/);
    // The reproduction of issue 13 A: not(or(64 × in 1,000 prices)).
    const bomb = { op: "not", filter: { op: "or", filters: Array.from({ length: 64 }, (_, i) => ({ op: "in", field: "price", values: Array.from({ length: 1000 }, (_, j) => i * 1000 + j) })) } };
    expect(message(bomb)).toMatch(/at most 1000 values in all/);
    const wide = {
      op: "or",
      filters: Array.from({ length: 64 }, () => ({
        op: "and",
        filters: [
          { op: "eq", field: "brand", value: "a" },
          { op: "eq", field: "brand", value: "b" },
        ],
      })),
    };
    expect(message(wide)).toMatch(/at most 128 nodes/);
    const eqs = { op: "or", filters: Array.from({ length: 64 }, (_, i) => ({ op: "eq", field: "brand", value: `b${i}` })) };
    expect(message(eqs)).toBe("accepted");
    expect(message({ brand: Array.from({ length: 1001 }, (_, i) => `b${i}`) })).toMatch(/at most 1000 values/);
  });

  it("names the field and the fix on bad input", () => {
    const bad = (input: unknown) => {
      const r = FilterSchema.safeParse(input);
      expect(r.success).toBe(false);
      return zodIssues(r.error!)
        .map((i) => `${i.field}: ${i.message}`)
        .join(" | ");
    };
    expect(bad({ op: "eq", field: "colour", value: "red" })).toMatch(/unknown filter field "colour"/);
    expect(bad({ op: "eq", field: "price", value: "cheap" })).toMatch(/price compares with numbers/);
    expect(bad({ op: "range", field: "brand", gte: 1 })).toMatch(/range filters apply to price only/);
    expect(bad({ op: "in", field: "brand", values: [] })).toMatch(/at least one value/);
    expect(bad({ op: "eq", field: "brand", value: "\ud800" })).toMatch(/well-formed/);
    expect(bad({ brand: 3 })).toMatch(/^brand: must be a string or a non-empty list/);
    expect(bad({ colour: "red" })).toMatch(/colour|unrecognized/i);
  });
});
