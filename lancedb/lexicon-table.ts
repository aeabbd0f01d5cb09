// `lexicon_rNNN`: the distinct brand and category values of the release's items with their item
// counts. Query understanding (api/service) builds its matcher from these rows.
import type * as lancedb from "@lancedb/lancedb";
import { tableOf, uint32Column, utf8Column } from "./arrow.ts";
import type { CatalogColumns } from "./catalog-source.ts";
import { LEXICON_SCHEMA } from "./release-schemas.ts";

/** One lexicon value. */
export interface LexiconEntry {
  /** Value exactly as stored on items (so an eq filter on it matches). */
  value: string;
  /** Items carrying it. */
  count: number;
}

/** Brand and category values of a release, most frequent first. */
export interface Lexicon {
  brands: LexiconEntry[];
  categories: LexiconEntry[];
}

function counts(values: readonly (string | null)[]): LexiconEntry[] {
  const m = new Map<string, number>();
  for (const v of values) if (v !== null && v !== "") m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/** Distinct brands and category paths of a catalog with counts. */
export function buildLexicon(cat: CatalogColumns): Lexicon {
  return { brands: counts(cat.brands), categories: counts(cat.categories) };
}

/** Write `lexicon_<id>`. */
export async function writeLexiconTable(db: lancedb.Connection, name: string, lex: Lexicon): Promise<void> {
  const rows = [...lex.brands.map((e) => ["brand", e] as const), ...lex.categories.map((e) => ["category", e] as const)];
  const data = tableOf(LEXICON_SCHEMA, {
    field: utf8Column(rows.map(([f]) => f)),
    value: utf8Column(rows.map(([, e]) => e.value)),
    count: uint32Column(Uint32Array.from(rows, ([, e]) => e.count)),
  });
  await db.createTable(name, data, { mode: "create" });
}

/** Read a release's lexicon back. */
export async function readLexicon(table: lancedb.Table): Promise<Lexicon> {
  const rows = (await table.query().toArray()) as { field: string; value: string; count: number }[];
  const pick = (f: string) => rows.filter((r) => r.field === f).map((r) => ({ value: r.value, count: r.count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  return { brands: pick("brand"), categories: pick("category") };
}
