// `lexicon_rNNN`: the distinct brand and category values of the release's items with their item
// counts (core's LexiconValues). Query understanding builds its matcher (core's Lexicon) from them.
import type * as lancedb from "@lancedb/lancedb";
import { byCount, type LexiconValues } from "../core/index.ts";
import { tableOf, uint32Column, utf8Column } from "./arrow.ts";
import { LEXICON_SCHEMA } from "./release-schemas.ts";

/** Write `lexicon_<id>`. */
export async function writeLexiconTable(db: lancedb.Connection, name: string, lex: LexiconValues): Promise<void> {
  const rows = [...lex.brands.map((e) => ["brand", e] as const), ...lex.categories.map((e) => ["category", e] as const)];
  const data = tableOf(LEXICON_SCHEMA, {
    field: utf8Column(rows.map(([f]) => f)),
    value: utf8Column(rows.map(([, e]) => e.value)),
    count: uint32Column(Uint32Array.from(rows, ([, e]) => e.count)),
  });
  await db.createTable(name, data, { mode: "create" });
}

/** Read a release's lexicon values back. */
export async function readLexiconValues(table: lancedb.Table): Promise<LexiconValues> {
  const rows = (await table.query().toArray()) as { field: string; value: string; count: number }[];
  const pick = (f: string) =>
    rows
      .filter((r) => r.field === f)
      .map((r) => ({ value: r.value, count: r.count }))
      .sort(byCount);
  return { brands: pick("brand"), categories: pick("category") };
}
