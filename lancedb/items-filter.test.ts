import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, filterToPredicate, filterToSql, type FilterExpr, type FilterField } from "../core/index.ts";
import { openRelease, publishRelease, searchItems, type ReleaseHandles } from "./index.ts";
import { BRANDS, CATEGORIES, COLORS, MATERIALS, importedShop } from "./test-fixtures.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
let rel: ReleaseHandles;
beforeAll(async () => {
  shop = await importedShop({ items: 300, queries: 5, seed: 3 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ dim: 32 }), topK: 5 });
  rel = await openRelease(shop.dataDir);
});
afterAll(() => shop.cleanup());

const text = (field: FilterField, values: string[]) => fc.constantFrom(...values).map((value): FilterExpr => ({ op: "eq", field, value }));
const textIn = (field: FilterField, values: string[]) => fc.subarray(values, { minLength: 1 }).map((vs): FilterExpr => ({ op: "in", field, values: vs }));
const leaf: fc.Arbitrary<FilterExpr> = fc.oneof(
  text("brand", [...BRANDS, "Nobody"]),
  textIn("category", CATEGORIES),
  text("attributes.color", COLORS),
  textIn("attributes.material", MATERIALS),
  text("attributes.size_eu", ["36", "40", "44"]),
  text("attributes.fabric", ["cotton"]), // a key no item has: compiles to NULL
  fc
    .record({ gte: fc.integer({ min: 0, max: 200 }), lt: fc.integer({ min: 0, max: 200 }) }, { requiredKeys: [] })
    .filter((r) => r.gte !== undefined || r.lt !== undefined)
    .map((r): FilterExpr => ({ op: "range", field: "price", ...r })),
);
const expr: fc.Arbitrary<FilterExpr> = fc.letrec<{ e: FilterExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("e"), { minLength: 1, maxLength: 3 }).map((filters): FilterExpr => ({ op: "and", filters })),
    fc.array(tie("e"), { minLength: 1, maxLength: 3 }).map((filters): FilterExpr => ({ op: "or", filters })),
    tie("e").map((filter): FilterExpr => ({ op: "not", filter })),
  ),
})).e;

function expected(e: FilterExpr): string[] {
  const p = filterToPredicate(e);
  return shop.items
    .filter((i) => p({ brand: i.brand ?? null, category: i.category ?? null, price: i.price ?? null, attributes: i.attributes ?? null }))
    .map((i) => i.id)
    .sort();
}

describe("items attribute struct + filterToSql", () => {
  it("a where clause from filterToSql(knownAttributes) selects exactly the rows filterToPredicate accepts", async () => {
    await fc.assert(
      fc.asyncProperty(expr, async (e) => {
        const sql = filterToSql(e, { knownAttributes: rel.knownAttributes });
        const rows = await rel.items.query().where(sql).select(["id"]).toArray();
        expect(rows.map((r) => r.id as string).sort()).toEqual(expected(e));
      }),
      { numRuns: 80, seed: 42 },
    );
  });

  it("the same filter as a vector-search prefilter returns the same rows", async () => {
    const q = createHashEncoder({ dim: 32 }).encode(["classic red dress"])[0]!;
    const filters: FilterExpr[] = [
      {
        op: "and",
        filters: [
          { op: "eq", field: "brand", value: "Acme" },
          { op: "eq", field: "attributes.color", value: "red" },
        ],
      },
      {
        op: "or",
        filters: [
          { op: "in", field: "attributes.material", values: ["silk", "wool"] },
          { op: "range", field: "price", lt: 20 },
        ],
      },
      { op: "not", filter: { op: "eq", field: "attributes.color", value: "blue" } },
    ];
    for (const e of filters) {
      const where = filterToSql(e, { knownAttributes: rel.knownAttributes });
      const rows = await searchItems(rel.items, rel.info.index, q, 1_000).where(where).select(["id", "_distance"]).toArray();
      const want = expected(e);
      expect(want.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.id as string).sort()).toEqual(want);
    }
  });
});
