// Reads what a release is built from: the imported catalog, the training click log and its distinct
// queries, pinned to the table versions the import manifest recorded.
import type * as lancedb from "@lancedb/lancedb";
import { ATTRIBUTE_KEY, tuningPair, type ItemColumns, type TuningQuery } from "../core/index.ts";
import { IMPORT_TABLES } from "./import-tables.ts";
import { allTableNames } from "./connect.ts";
import { StoreError } from "./errors.ts";

/** The catalog as columns, in import order (row i of every array is item i). */
export interface CatalogColumns {
  ids: string[];
  titles: string[];
  brands: (string | null)[];
  categories: (string | null)[];
  prices: (number | null)[];
  images: (string | null)[];
  textOnly: boolean[];
  /** Parsed attribute objects (null when the item has none). */
  attributes: (Record<string, string> | null)[];
  /** Every attribute key seen, sorted: the children of the items' attribute struct. */
  attributeKeys: string[];
}

/** One distinct logged query: its qid and canonical terms. */
export interface LoggedQuery {
  qid: number;
  terms: string;
}

async function openPinned(db: lancedb.Connection, name: string, version: number | undefined): Promise<lancedb.Table | null> {
  if (!(await allTableNames(db)).includes(name)) return null;
  const t = await db.openTable(name);
  if (version !== undefined) await t.checkout(version);
  return t;
}

function column<T>(table: import("apache-arrow").Table, name: string): T[] {
  const c = table.getChild(name);
  if (!c) throw new StoreError("TABLE_MISSING", `catalog has no column ${name}; re-run \`vitrine import\``);
  return [...c] as T[];
}

/** Read the catalog (without thumbnails) at `version` (the manifest's; latest when absent). */
export async function readCatalog(db: lancedb.Connection, version?: number): Promise<CatalogColumns> {
  const t = await openPinned(db, IMPORT_TABLES.catalog, version);
  if (!t) throw new StoreError("TABLE_MISSING", "the store has no catalog table; run `vitrine import` first");
  const a = await t.query().select(["id", "title", "brand", "category", "price", "image", "attributes", "text_only", "line"]).toArrow();
  // Import writes rows in file order; sort by line anyway so row order never depends on the scan.
  const lines = column<number>(a, "line");
  const order = lines.map((_, i) => i).sort((x, y) => lines[x]! - lines[y]!);
  const pick = <T>(name: string): T[] => {
    const c = column<T>(a, name);
    return order.map((i) => c[i]!);
  };
  const keys = new Set<string>();
  const attributes = pick<string | null>("attributes").map((json) => {
    if (json === null) return null;
    const o = JSON.parse(json) as Record<string, string>;
    for (const k of Object.keys(o)) if (ATTRIBUTE_KEY.test(k)) keys.add(k);
    return o;
  });
  return {
    ids: pick("id"),
    titles: pick("title"),
    brands: pick("brand"),
    categories: pick("category"),
    prices: pick<number | null>("price"),
    images: pick("image"),
    textOnly: pick<boolean>("text_only"),
    attributes,
    attributeKeys: [...keys].sort(),
  };
}

/** Distinct (qid, terms) pairs of the training click log, sorted; empty when there are no clicks. */
export async function readLoggedQueries(db: lancedb.Connection, version?: number): Promise<LoggedQuery[]> {
  const t = await openPinned(db, IMPORT_TABLES.clicks, version);
  if (!t) return [];
  const a = await t.query().select(["qid", "terms"]).toArrow();
  return distinctQueries(column<number>(a, "qid"), column<string>(a, "terms"));
}

/** Distinct (qid, terms) pairs of parallel columns, sorted by qid, then terms. */
function distinctQueries(qids: readonly number[], terms: readonly string[]): LoggedQuery[] {
  const seen = new Map<string, LoggedQuery>();
  // Two different term strings can share a qid (a hash collision): both get their own row.
  for (let i = 0; i < qids.length; i++) seen.set(`${qids[i]}\u0000${terms[i]}`, { qid: qids[i]!, terms: terms[i]! });
  return [...seen.values()].sort((x, y) => x.qid - y.qid || (x.terms < y.terms ? -1 : x.terms > y.terms ? 1 : 0));
}

/** The training click log as catalog rows, one entry per usable row (parallel arrays). */
export interface TrainingClicks {
  /** Catalog row of each click row. */
  rows: number[];
  /** Its click count. */
  clicks: number[];
  /** Its canonical terms. */
  terms: string[];
}

/** The training click log as publish needs it, read in one scan (a large log is read once, not once per use). */
export interface ClickLog {
  /** The clicks as training reads them: rows without terms or naming an unknown item are skipped. */
  training: TrainingClicks;
  /** Every distinct logged query, unknown items' rows included (their query is still served from a qid list). */
  queries: LoggedQuery[];
}

/** The training click log's training clicks and distinct queries, from one read of its four columns; both empty without a click log. */
export async function readClickLog(db: lancedb.Connection, rowOf: ReadonlyMap<string, number>, version?: number): Promise<ClickLog> {
  const training: TrainingClicks = { rows: [], clicks: [], terms: [] };
  const t = await openPinned(db, IMPORT_TABLES.clicks, version);
  if (!t) return { training, queries: [] };
  const a = await t.query().select(["qid", "item_id", "clicks", "terms"]).toArrow();
  const ids = column<string>(a, "item_id");
  const counts = column<number>(a, "clicks");
  const terms = column<string>(a, "terms");
  for (let i = 0; i < ids.length; i++) {
    const row = rowOf.get(ids[i]!);
    if (row === undefined || terms[i]!.length === 0) continue;
    training.rows.push(row);
    training.clicks.push(counts[i]!);
    training.terms.push(terms[i]!);
  }
  return { training, queries: distinctQueries(column<number>(a, "qid"), terms) };
}

/** The held-out clicks' pairs of the tuning half (core `tuningPair`), grouped by query, as catalog rows, each with the rows `training` clicked for its terms (left out of its ranking). */
export async function readTuningQueries(db: lancedb.Connection, rowOf: ReadonlyMap<string, number>, training: TrainingClicks, version?: number): Promise<TuningQuery[]> {
  const t = await openPinned(db, IMPORT_TABLES.clicksEval, version);
  if (!t) return [];
  const a = await t.query().select(["terms", "item_id"]).toArrow();
  if (a.numRows === 0) return [];
  const terms = column<string>(a, "terms");
  const items = column<string>(a, "item_id");
  const byTerms = new Map<string, Set<number>>();
  for (let i = 0; i < terms.length; i++) {
    const row = rowOf.get(items[i]!);
    if (row === undefined || !tuningPair(terms[i]!, items[i]!)) continue;
    let s = byTerms.get(terms[i]!);
    if (!s) byTerms.set(terms[i]!, (s = new Set()));
    s.add(row);
  }
  const seen = new Map<string, Set<number>>();
  training.terms.forEach((q, i) => {
    if (!byTerms.has(q)) return;
    let s = seen.get(q);
    if (!s) seen.set(q, (s = new Set()));
    s.add(training.rows[i]!);
  });
  return [...byTerms.keys()].sort().map((q) => ({ terms: q, targets: byTerms.get(q)!, ...(seen.has(q) ? { seen: seen.get(q)! } : {}) }));
}

/** The catalog as the search index's item columns (attribute values by key). */
export function itemColumnsOf(cat: CatalogColumns): ItemColumns {
  const attributeColumns = new Map<string, (string | null)[]>();
  for (const k of cat.attributeKeys)
    attributeColumns.set(
      k,
      cat.attributes.map((a) => a?.[k] ?? null),
    );
  return { titles: cat.titles, brands: cat.brands, categories: cat.categories, prices: cat.prices, attributeColumns };
}
