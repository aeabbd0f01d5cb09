// `items_rNNN`: every catalog item with its vector, the filterable columns and an attribute struct,
// plus the scalar indexes the prefilters use.
import * as lancedb from "@lancedb/lancedb";
import { arrow, boolColumn, float32Column, float64Column, tableOf, utf8Column, utf8StructColumn, vectorColumn } from "./arrow.ts";
import type { CatalogColumns } from "./catalog-source.ts";
import { StoreError } from "./errors.ts";
import { itemsSchema } from "./release-schemas.ts";

/** Scalar index kind per column, as recorded in the release. */
export type ScalarIndexPlan = Record<string, "BITMAP" | "BTREE">;

/** Rows per record batch: bounds the transient Arrow copies of the string columns. */
const BATCH_ROWS = 8_192;

// Bitmaps suit low-cardinality columns (one bitmap per value); past this many distinct values a
// BTREE is smaller and as fast. Brand and category are usually far below it.
const BITMAP_MAX_DISTINCT = 2_000;

/** Write `items_<id>` in one commit (mode "create": a name already taken means a concurrent publish); `popularity`: one prior per row (popularityOf). */
export async function writeItemsTable(db: lancedb.Connection, name: string, cat: CatalogColumns, vectors: Float32Array, dim: number, popularity: Float32Array): Promise<lancedb.Table> {
  if (popularity.length !== cat.ids.length) throw new StoreError("BAD_OPTION", `popularity holds ${popularity.length} rows, the catalog ${cat.ids.length}`);
  const schema = itemsSchema(dim, cat.attributeKeys);
  const n = cat.ids.length;
  const batches = [];
  for (let s = 0; s < Math.max(n, 1); s += BATCH_ROWS) {
    const e = Math.min(n, s + BATCH_ROWS);
    const cols = {
      id: utf8Column(cat.ids.slice(s, e)),
      vector: vectorColumn(vectors.subarray(s * dim, e * dim), dim),
      title: utf8Column(cat.titles.slice(s, e)),
      brand: utf8Column(cat.brands.slice(s, e)),
      category: utf8Column(cat.categories.slice(s, e)),
      price: float64Column(cat.prices.slice(s, e)),
      image: utf8Column(cat.images.slice(s, e)),
      text_only: boolColumn(cat.textOnly.slice(s, e)),
      popularity: float32Column(popularity.subarray(s, e)),
      ...(cat.attributeKeys.length ? { attributes: utf8StructColumn(cat.attributeKeys, cat.attributes.slice(s, e)) } : {}),
    };
    batches.push(...tableOf(schema, cols).batches);
  }
  try {
    return await db.createTable(name, new arrow.Table(schema, batches), { mode: "create" });
  } catch (e) {
    if (/already exists/i.test(String(e))) throw new StoreError("RELEASE_CONFLICT", `table ${name} already exists: another publish is running; try again when it ends`);
    throw e;
  }
}

/** Choose BITMAP or BTREE for brand and category by cardinality; BTREE for price. */
export function planScalarIndexes(cat: CatalogColumns): ScalarIndexPlan {
  const kind = (values: (string | null)[]) => (new Set(values).size <= BITMAP_MAX_DISTINCT ? "BITMAP" : "BTREE");
  return { brand: kind(cat.brands), category: kind(cat.categories), price: "BTREE" };
}

/** Build the planned scalar indexes and wait for them. */
export async function buildScalarIndexes(table: lancedb.Table, plan: ScalarIndexPlan): Promise<void> {
  for (const [column, kind] of Object.entries(plan)) {
    const config = kind === "BITMAP" ? lancedb.Index.bitmap() : lancedb.Index.btree();
    await table.createIndex(column, { config, replace: true, name: `${column}_idx` });
  }
  await table.waitForIndex(
    Object.keys(plan).map((c) => `${c}_idx`),
    600,
  );
}

/** Fail unless every index of `table` covers all of its rows (a release is complete only then). */
export async function assertIndexesComplete(table: lancedb.Table, names: string[]): Promise<void> {
  const have = new Map((await table.listIndices()).map((i) => [i.name, i]));
  for (const n of names) {
    const stats = await table.indexStats(n);
    if (!have.has(n) || !stats || stats.numUnindexedRows > 0) {
      throw new StoreError("RELEASE_INCOMPLETE", `index ${n} on ${table.name} is missing or does not cover every row`);
    }
  }
}
