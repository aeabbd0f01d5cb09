import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Float64, Schema, Struct, Utf8 } from "apache-arrow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilterSchema, type FilterExpr } from "./filter-schema.ts";
import { filterToPredicate } from "./filter-predicate.ts";
import { filterToSql } from "./filter-sql.ts";
import { zodIssues } from "./zod-error.ts";
import { LIMITS } from "./limits.ts";

// Values chosen to break naive quoting: quotes, backslashes, SQL fragments, NUL, unicode.
const HOSTILE = [
  "Nike",
  "it's",
  "''",
  "'",
  "\\",
  "\\'",
  "back\\slash",
  '"quoted"',
  "' OR '1'='1",
  "x'); DROP TABLE items; --",
  "100%",
  "_",
  "a\nb",
  "nul\u0000byte",
  "红色",
  "café",
  "cafe\u0301",
  "🙂 emoji",
  "  spaced  ",
  "",
  "ÅNGSTRÖM",
  "`tick`",
];
const PRICES = [0, 0.5, 1, 9.99, 10, 19.99, 100, 1e6];
// -0 only as a filter value: the store never holds it (import normalises prices).
const FILTER_NUMS = [...PRICES, -0];

interface Row {
  id: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  attributes: { material: string | null; size: string | null };
}

function makeRows(): Row[] {
  const rows: Row[] = [];
  let s = 7;
  const pick = <T>(xs: readonly T[]): T => xs[(s = (Math.imul(s, 1103515245) + 12345) >>> 0) % xs.length]!;
  for (let i = 0; i < 300; i++) {
    rows.push({
      id: `i${i}`,
      brand: i % 11 === 0 ? null : pick(HOSTILE),
      category: i % 13 === 0 ? null : pick(["Women>Dresses", "Shoes", "it's>cat", "\\>\\", "红色>连衣裙"]),
      price: i % 7 === 0 ? null : pick(PRICES),
      attributes: { material: i % 5 === 0 ? null : pick(HOSTILE), size: i % 3 === 0 ? null : pick(["S", "M", "L", "'XL'"]) },
    });
  }
  return rows;
}

const text = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 6 }).filter((x) => x.isWellFormed()),
);
const num = fc.oneof(fc.constantFrom(...FILTER_NUMS), fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 2e6 }));
// "constructor" is a valid attribute key and a property of every JS object: a hostile field name.
const textField = fc.constantFrom("brand", "category", "attributes.material", "attributes.size", "attributes.colour", "attributes.constructor");

const leaf: fc.Arbitrary<FilterExpr> = fc.oneof(
  fc.record({ op: fc.constant("eq" as const), field: textField, value: text }) as fc.Arbitrary<FilterExpr>,
  fc.record({ op: fc.constant("in" as const), field: textField, values: fc.array(text, { minLength: 1, maxLength: 4 }) }) as fc.Arbitrary<FilterExpr>,
  fc.record({ op: fc.constant("eq" as const), field: fc.constant("price" as const), value: num }),
  fc.record({ op: fc.constant("range" as const), field: fc.constant("price" as const), gte: num, lt: num }, { requiredKeys: ["op", "field"] }),
);
const expr: fc.Arbitrary<FilterExpr> = fc.letrec<{ e: FilterExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constant("and" as const), filters: fc.array(tie("e"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant("or" as const), filters: fc.array(tie("e"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant("not" as const), filter: tie("e") }),
  ),
})).e;

describe("filter → SQL and JS predicate", () => {
  let dir: string;
  let table: lancedb.Table;
  const rows = makeRows();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vitrine-filter-"));
    const db = await lancedb.connect(dir);
    const str = () => new Utf8();
    const schema = new Schema([
      new Field("id", str(), false),
      new Field("brand", str(), true),
      new Field("category", str(), true),
      new Field("price", new Float64(), true),
      new Field("attributes", new Struct([new Field("material", str(), true), new Field("size", str(), true)]), true),
      new Field("vector", new FixedSizeList(2, new Field("item", new Float32(), true)), false),
    ]);
    table = await db.createTable(
      "items",
      rows.map((r) => ({ ...r, vector: [0, 1] })),
      { schema },
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function sqlIds(f: FilterExpr): Promise<string[]> {
    const where = filterToSql(f, { knownAttributes: new Set(["material", "size"]) });
    const got = await table.query().where(where).select(["id"]).limit(10_000).toArray();
    return got.map((r) => r.id as string).sort();
  }
  const jsIds = (f: FilterExpr) =>
    rows
      .filter(filterToPredicate(f))
      .map((r) => r.id)
      .sort();

  it("every hostile value matches exactly the rows holding it", async () => {
    for (const v of HOSTILE) {
      const f: FilterExpr = { op: "eq", field: "brand", value: v };
      const expected = rows
        .filter((r) => r.brand === v)
        .map((r) => r.id)
        .sort();
      expect(await sqlIds(f)).toEqual(expected);
      expect(jsIds(f)).toEqual(expected);
    }
  });

  it("NULLs follow SQL three-valued logic in both forms", async () => {
    const f: FilterExpr = { op: "not", filter: { op: "range", field: "price", gt: 5 } };
    const ids = await sqlIds(f);
    expect(ids).toEqual(jsIds(f));
    expect(ids.every((id) => rows.find((r) => r.id === id)!.price !== null)).toBe(true);
    expect(await sqlIds({ op: "eq", field: "attributes.colour", value: "red" })).toEqual([]);
  });

  it("an attribute named like an Object.prototype property matches no row in either form", async () => {
    // Reproduction (issue 13 C): the JS predicate read Object.prototype.constructor, so not(eq) matched every row.
    const f = FilterSchema.parse({ op: "not", filter: { op: "eq", field: "attributes.constructor", value: "a" } });
    expect(await sqlIds(f)).toEqual([]);
    expect(jsIds(f)).toEqual([]);
    expect(jsIds({ op: "in", field: "attributes.constructor", values: ["function Object() { [native code] }"] })).toEqual([]);
  });

  it("random filter trees give the same rows in LanceDB and in JS (property)", async () => {
    await fc.assert(
      fc.asyncProperty(expr, async (f) => {
        expect(await sqlIds(f)).toEqual(jsIds(f));
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
