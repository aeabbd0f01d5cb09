import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { parse as parseCsv } from "csv-parse";
import { ImportError } from "./errors.ts";
import { readParquetRows } from "./read-parquet.ts";
import { applyColumnMap, type ColumnMap } from "./column-map.ts";

/** One row read from a source file: a parsed record, or the reason it could not be parsed. */
export type RawRow = { line: number; value: Record<string, unknown> } | { line: number; error: string };

/** Source formats import understands. */
export type SourceFormat = "jsonl" | "csv" | "parquet";

/** Largest accepted row; a longer line is rejected instead of read into memory whole. */
export const MAX_ROW_BYTES = 1 << 20;

/** Pick the format from the file extension, or fail naming the accepted ones. */
export function detectFormat(file: string): SourceFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  throw new ImportError("UNSUPPORTED_FORMAT", `${file}: unsupported file type "${ext}"; use .jsonl, .csv or .parquet`);
}

/** Stream the rows of a JSONL, CSV or Parquet file with their 1-based line (or row) numbers; `columns` renames mapped columns first. */
export async function* readRows(file: string, columns?: ColumnMap): AsyncGenerator<RawRow> {
  if (!columns) {
    yield* readRowsAsIs(file);
    return;
  }
  for await (const row of readRowsAsIs(file, columns)) yield "value" in row && detectFormat(file) !== "csv" ? { line: row.line, value: applyColumnMap(row.value, columns) } : row;
}

async function* readRowsAsIs(file: string, columns?: ColumnMap): AsyncGenerator<RawRow> {
  const format = detectFormat(file);
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error("not a regular file");
  } catch (e) {
    throw new ImportError("SOURCE_MISSING", `${file}: cannot read (${(e as Error).message}); check the path`);
  }
  if (format === "jsonl") yield* readJsonl(file);
  else if (format === "csv") yield* readCsv(file, columns);
  else yield* readParquetRows(await readFile(file), file);
}

async function* readJsonl(file: string): AsyncGenerator<RawRow> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim().length === 0) continue;
    if (text.length > MAX_ROW_BYTES) {
      yield { line, error: `row is larger than ${MAX_ROW_BYTES} bytes` };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { line, error: `broken JSON: ${(e as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      yield { line, error: "row is not a JSON object; each line must be one {...} object" };
      continue;
    }
    yield { line, value: value as Record<string, unknown> };
  }
}

async function* readCsv(file: string, columns?: ColumnMap): AsyncGenerator<RawRow> {
  const skipped: RawRow[] = [];
  const parser = parseCsv({
    columns: (header: string[]) => header.map((h) => h.trim()),
    bom: true,
    info: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_BYTES,
    // A malformed record (wrong column count, bad quoting) is rejected, never fatal.
    skip_records_with_error: true,
  });
  parser.on("skip", (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, error: `malformed CSV: ${err.message}` });
  });
  createReadStream(file).pipe(parser);
  for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    // Mapped before coercion, so a mapped "Variant Price" is coerced as price.
    yield { line: rec.info.lines, value: coerceCsv(columns ? applyColumnMap(rec.record, columns) : rec.record) };
  }
  while (skipped.length) yield skipped.shift()!;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NUMBER_FIELDS = new Set(["price", "clicks", "purchases", "grade"]);

// CSV cells are all text: empty cells mean absent, number columns become numbers when they look
// like one (otherwise they stay text so validation names the field), and attribute columns
// (`attributes` as JSON, or `attr.<key>` / `attributes.<key>`) fold into one record.
function coerceCsv(record: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const attrs: Record<string, string> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (raw === undefined || raw === "") continue;
    const attrKey = key.startsWith("attr.") ? key.slice(5) : key.startsWith("attributes.") ? key.slice(11) : null;
    if (attrKey !== null) attrs[attrKey] = raw;
    else if (key === "attributes") {
      try {
        out.attributes = JSON.parse(raw);
      } catch {
        out.attributes = raw;
      }
    } else if (NUMBER_FIELDS.has(key) && NUMERIC.test(raw.trim())) out[key] = Number(raw.trim());
    else out[key] = raw;
  }
  if (Object.keys(attrs).length > 0) out.attributes = { ...(out.attributes as object | undefined), ...attrs };
  return out;
}
