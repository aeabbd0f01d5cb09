// An eval set from files the user passes (`vitrine eval --clicks FILE [--judgments FILE]`, DESIGN
// §8): read and validated exactly as import reads them, but nothing is fatal except a missing or
// unreadable file — rows that cannot be used are listed with why, so a person sees what was dropped.
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { ClickSchema, JudgmentSchema } from "../../core/index.ts";
import { checkClick, checkJudgment, ImportError, readRows, type RawRow } from "../../ingest/index.ts";
import { TrainError } from "../errors.ts";
import type { JudgmentInput } from "./eval-queries.ts";

/** Options of loadEvalFile. */
export interface EvalFileOptions {
  /** Click log to evaluate on (JSONL, CSV or Parquet; the import click-log format); absent = judgments only. */
  clicks?: string;
  /** Optional graded judgments `{ query, item_id, grade }` (same formats). */
  judgments?: string;
  /** Item id of every catalog row (row → id), to resolve item ids to rows. */
  itemIds: readonly string[];
}

/** One row that was not used, and why. */
export interface SkippedRow {
  /** File the row came from. */
  file: string;
  /** 1-based line (or row) number. */
  line: number;
  /** Why it was skipped. */
  reason: string;
  /** The item id, only on rows skipped because the catalog lacks that item. */
  itemId?: string;
}

/** An eval set built from user files. */
export interface EvalSet {
  /** Distinct canonical terms, sorted: queries of usable click rows plus judged queries. */
  queries: string[];
  /** Clicked item rows per query, same order (empty for a judged-only query). */
  targets: Set<number>[];
  /** Usable judgments, keyed by canonical terms (as the judgments table holds them). */
  judgments: JudgmentInput[];
  /** The usable (query, item) click pairs with their summed clicks, sorted by terms then item id. */
  pairs: { terms: string; itemId: string; clicks: number }[];
  /** Every row not used, with why, in file then line order. */
  skipped: SkippedRow[];
  /** Item ids not in the catalog, with how many rows (of both files) named them, most first. */
  unknownItems: { id: string; rows: number }[];
  /** Rows read and used per file. */
  counts: { clickRows: number; usedClickRows: number; judgmentRows: number; usedJudgmentRows: number };
}

type Flag = "--clicks" | "--judgments";

/** Fail early, naming the flag, when the file is not there (readRows would name only the path). */
async function assertReadable(flag: Flag, file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new Error("not a regular file");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message;
    throw new TrainError("BAD_OPTION", `${flag} ${file}: ${why}; pass the path of a .jsonl, .csv or .parquet file`);
  }
}

/** readRows, with its fatal errors (format, unreadable Parquet) re-thrown naming the flag. */
async function* rowsOf(flag: Flag, file: string): AsyncGenerator<RawRow> {
  await assertReadable(flag, file);
  try {
    yield* readRows(file);
  } catch (e) {
    if (e instanceof ImportError) throw new TrainError("BAD_OPTION", `${flag} ${e.message}`, { cause: e });
    throw e;
  }
}

async function* noRows(): AsyncGenerator<RawRow> {}

/** Read a click log (and judgments) the user passed into an eval set against the catalog's ids. */
export async function loadEvalFile(opts: EvalFileOptions): Promise<EvalSet> {
  const rowOf = new Map<string, number>();
  opts.itemIds.forEach((id, row) => rowOf.set(id, row));
  const known: ReadonlySet<string> = new Set(rowOf.keys());
  const skipped: SkippedRow[] = [];
  const unknown = new Map<string, number>();
  const counts = { clickRows: 0, usedClickRows: 0, judgmentRows: 0, usedJudgmentRows: 0 };
  const skipUnknown = (file: string, line: number, id: string) => {
    unknown.set(id, (unknown.get(id) ?? 0) + 1);
    skipped.push({ file, line, itemId: id, reason: `item_id ${JSON.stringify(id)} is not in the catalog of this data directory; eval needs items the catalog holds` });
  };
  const skipInvalid = (file: string, row: RawRow, reason: string) => skipped.push({ file, line: row.line, reason });
  const noTerms = "query has no searchable terms after normalisation (only punctuation or symbols)";

  // terms → item id → summed clicks.
  const clicked = new Map<string, Map<string, number>>();
  for await (const row of opts.clicks === undefined ? noRows() : rowsOf("--clicks", opts.clicks)) {
    counts.clickRows++;
    if ("error" in row) {
      skipInvalid(opts.clicks!, row, row.error);
      continue;
    }
    const c = checkClick(row.value, known);
    if (!c.ok) {
      // checkClick validates the schema before the catalog, so an item_id failure on a row the
      // schema accepts is an unknown item (counted), not a malformed row.
      const parsed = c.field === "item_id" ? ClickSchema.safeParse(row.value) : null;
      if (parsed?.success && !known.has(parsed.data.item_id)) skipUnknown(opts.clicks!, row.line, parsed.data.item_id);
      else skipInvalid(opts.clicks!, row, c.reason);
      continue;
    }
    counts.usedClickRows++;
    let items = clicked.get(c.value.terms);
    if (!items) clicked.set(c.value.terms, (items = new Map()));
    items.set(c.value.item_id, (items.get(c.value.item_id) ?? 0) + c.value.clicks);
  }

  const judgments: JudgmentInput[] = [];
  if (opts.judgments !== undefined) {
    const file = opts.judgments;
    for await (const row of rowsOf("--judgments", file)) {
      counts.judgmentRows++;
      if ("error" in row) {
        skipInvalid(file, row, row.error);
        continue;
      }
      const j = checkJudgment(row.value, known);
      if (!j.ok) {
        const parsed = j.field === "item_id" ? JudgmentSchema.safeParse(row.value) : null;
        if (parsed?.success && !known.has(parsed.data.item_id)) skipUnknown(file, row.line, parsed.data.item_id);
        else skipInvalid(file, row, j.reason);
        continue;
      }
      // Import keeps such judgments, but no eval query can ever match empty terms.
      if (j.value.terms.length === 0) {
        skipInvalid(file, row, noTerms);
        continue;
      }
      counts.usedJudgmentRows++;
      judgments.push({ terms: j.value.terms, item_id: j.value.item_id, grade: j.value.grade });
    }
  }

  const queries = [...new Set([...clicked.keys(), ...judgments.map((j) => j.terms)])].sort();
  const targets = queries.map((q) => new Set([...(clicked.get(q)?.keys() ?? [])].map((id) => rowOf.get(id)!)));
  const pairs = [...clicked]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([terms, items]) => [...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([itemId, clicks]) => ({ terms, itemId, clicks })));
  const unknownItems = [...unknown].map(([id, rows]) => ({ id, rows })).sort((a, b) => b.rows - a.rows || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { queries, targets, judgments, pairs, skipped, unknownItems, counts };
}

/** A few human lines: rows used and skipped per file, the first `limit` unknown item ids and invalid rows. */
export function formatEvalFileSummary(set: EvalSet, limit = 10): string {
  const c = set.counts;
  const unknownRows = set.unknownItems.reduce((s, u) => s + u.rows, 0);
  const invalid = set.skipped.filter((s) => s.itemId === undefined);
  const judgedOnly = set.targets.filter((t) => t.size === 0).length;
  const lines = [
    `clicks: ${c.clickRows} rows, ${c.usedClickRows} used, ${c.clickRows - c.usedClickRows} skipped`,
    ...(c.judgmentRows > 0 ? [`judgments: ${c.judgmentRows} rows, ${c.usedJudgmentRows} used, ${c.judgmentRows - c.usedJudgmentRows} skipped`] : []),
    `eval set: ${set.queries.length} queries (${set.queries.length - judgedOnly} with clicks${judgedOnly ? `, ${judgedOnly} judged only` : ""}), ${set.pairs.length} (query, item) pairs, ${set.judgments.length} judgments`,
  ];
  if (set.unknownItems.length > 0) {
    const shown = set.unknownItems.slice(0, limit).map((u) => `${u.id} (${u.rows})`);
    const more = set.unknownItems.length > limit ? `, … ${set.unknownItems.length - limit} more` : "";
    const ids = set.unknownItems.length === 1 ? "1 item id" : `${set.unknownItems.length} item ids`;
    lines.push(`${unknownRows} rows name ${ids} not in the catalog (skipped): ${shown.join(", ")}${more}`);
  }
  if (invalid.length > 0) {
    lines.push(`${invalid.length} rows are invalid${invalid.length > limit ? ` (first ${limit})` : ""}:`);
    for (const s of invalid.slice(0, limit)) lines.push(`  ${basename(s.file)}:${s.line}: ${s.reason}`);
  }
  return lines.join("\n");
}
