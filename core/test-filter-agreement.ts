// Test support: a LanceDB table of rows built to break filters (quoting, NULLs, unicode, attribute
// keys named like Object.prototype properties), a generator of filter trees over them, and the
// three ways a filter selects rows — the SQL `where` LanceDB runs, the JS predicate, the column
// bitmap — so tests can check that all three agree (core/filter.test.ts, api/http/fuzz.test.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Float64, Schema, Struct, Utf8 } from "apache-arrow";
import fc from "fast-check";
import { bitmapRows, filterBitmap, filterColumnIndex } from "./filter-bitmap.ts";
import { filterToPredicate } from "./filter-predicate.ts";
import type { FilterExpr } from "./filter-schema.ts";
import { filterToSql } from "./filter-sql.ts";

/** Values chosen to break naive quoting: quotes, backslashes, SQL fragments, NUL, unicode. */
export const HOSTILE = [
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
/** Prices the rows hold. */
export const PRICES = [0, 0.5, 1, 9.99, 10, 19.99, 100, 1e6];
// -0 only as a filter value: the store never holds it (import normalises prices).
const FILTER_NUMS = [...PRICES, -0];
/** Attribute keys the table has as columns. */
export const ATTRIBUTE_COLUMNS = ["material", "size"] as const;
/**
 * Attribute keys the schema accepts but no row has, named like properties every JS object
 * inherits: a predicate reading them through the prototype would match rows SQL does not.
 */
export const PROTOTYPE_KEYS = ["constructor", "prototype", "tostring", "hasownproperty", "valueof", "isprototypeof"] as const;

/** One row of the table. */
export interface AgreementRow {
  id: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  attributes: { material: string | null; size: string | null };
}

/** 300 deterministic rows over the hostile values, with NULLs in every column. */
export function makeRows(): AgreementRow[] {
  const rows: AgreementRow[] = [];
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
/** Text fields: columns, a key no row has, and keys named like Object.prototype properties. */
export const textField = fc.constantFrom("brand", "category", ...[...ATTRIBUTE_COLUMNS, "colour", ...PROTOTYPE_KEYS].map((k) => `attributes.${k}`));

const leaf: fc.Arbitrary<FilterExpr> = fc.oneof(
  fc.record({ op: fc.constant("eq" as const), field: textField, value: text }) as fc.Arbitrary<FilterExpr>,
  fc.record({ op: fc.constant("in" as const), field: textField, values: fc.array(text, { minLength: 1, maxLength: 4 }) }) as fc.Arbitrary<FilterExpr>,
  fc.record({ op: fc.constant("eq" as const), field: fc.constant("price" as const), value: num }),
  fc.record({ op: fc.constant("in" as const), field: fc.constant("price" as const), values: fc.array(num, { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant("range" as const), field: fc.constant("price" as const), gte: num, gt: num, lte: num, lt: num }, { requiredKeys: ["op", "field"] }),
);
/** Filter trees over the table's fields (and, or, not of eq, in and range leaves). */
export const filterExpr: fc.Arbitrary<FilterExpr> = fc.letrec<{ e: FilterExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constant("and" as const), filters: fc.array(tie("e"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant("or" as const), filters: fc.array(tie("e"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant("not" as const), filter: tie("e") }),
  ),
})).e;

/** The table and the three readings of a filter over it, each as sorted row ids. */
export interface AgreementTable {
  rows: AgreementRow[];
  /** Rows LanceDB selects with filterToSql's `where`. */
  sqlIds(f: FilterExpr): Promise<string[]>;
  /** Rows LanceDB selects with a `where` clause as written. */
  whereIds(where: string): Promise<string[]>;
  /** Rows filterToPredicate accepts. */
  jsIds(f: FilterExpr): string[];
  /** Rows filterBitmap sets. */
  bitmapIds(f: FilterExpr): string[];
  /** Remove the table's folder. */
  close(): Promise<void>;
}

/** Write the rows to a LanceDB table in a temp folder. */
export async function openAgreementTable(): Promise<AgreementTable> {
  const rows = makeRows();
  const dir = await mkdtemp(join(tmpdir(), "vitrine-filter-"));
  const db = await lancedb.connect(dir);
  const str = () => new Utf8();
  const schema = new Schema([
    new Field("id", str(), false),
    new Field("brand", str(), true),
    new Field("category", str(), true),
    new Field("price", new Float64(), true),
    new Field("attributes", new Struct(ATTRIBUTE_COLUMNS.map((k) => new Field(k, str(), true))), true),
    new Field("vector", new FixedSizeList(2, new Field("item", new Float32(), true)), false),
  ]);
  const table = await db.createTable(
    "items",
    rows.map((r) => ({ ...r, vector: [0, 1] })),
    { schema },
  );
  const index = filterColumnIndex({
    brands: rows.map((r) => r.brand),
    categories: rows.map((r) => r.category),
    prices: rows.map((r) => r.price),
    attributeColumns: new Map(ATTRIBUTE_COLUMNS.map((k) => [k, rows.map((r) => r.attributes[k])])),
  });
  const sorted = (ids: string[]) => ids.sort();
  const whereIds = async (where: string) => {
    const got = await table.query().where(where).select(["id"]).limit(10_000).toArray();
    return sorted(got.map((r) => r.id as string));
  };
  return {
    rows,
    whereIds,
    sqlIds: (f) => whereIds(filterToSql(f, { knownAttributes: new Set(ATTRIBUTE_COLUMNS) })),
    jsIds: (f) => sorted(rows.filter(filterToPredicate(f)).map((r) => r.id)),
    bitmapIds: (f) => sorted(Array.from(bitmapRows(filterBitmap(f, index, rows.length)), (r) => rows[r]!.id)),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
