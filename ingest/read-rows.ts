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

/** A source file's format, once it is known to be a regular file of a supported type; else the ImportError naming the path and the fix. */
export async function checkSource(file: string): Promise<SourceFormat> {
  const format = detectFormat(file);
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error("not a regular file");
  } catch (e) {
    throw new ImportError("SOURCE_MISSING", `${file}: cannot read (${(e as Error).message}); check the path`);
  }
  return format;
}

/** Stream the rows of a JSONL, CSV or Parquet file with their 1-based line (or row) numbers; `columns` renames mapped columns first. */
export async function* readRows(file: string, columns?: ColumnMap): AsyncGenerator<RawRow> {
  const format = await checkSource(file);
  // CSV maps its columns before coercing cells; the typed formats map the parsed row.
  if (format === "csv") {
    yield* readCsv(file, columns);
    return;
  }
  const rows = format === "jsonl" ? readJsonl(file) : readParquetRows(await readFile(file), file);
  for await (const row of rows) yield columns && "value" in row ? { line: row.line, value: applyColumnMap(row.value, columns) } : row;
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

/** Most re-parses after broken quoting per file; past it the rest of the file is one reject. */
const MAX_CSV_RESTARTS = 1_000;

// A quote opened and never properly closed swallows every following line into one field until a
// later quote happens to close it; csv-parse then reports one error where it noticed, many lines on.
// So an error on a record that spans lines is reported at the line the record began, and parsing
// starts again on the line after it: one bad line costs one reject, not the ten after it.
async function* readCsv(file: string, columns?: ColumnMap): AsyncGenerator<RawRow> {
  let header: string[] | null = null;
  let fromLine = 1;
  let fromByte = 0;
  for (let restarts = 0; ; restarts++) {
    const skipped: RawRow[] = [];
    // csv-parse counts lines from where its input starts; the file's line is that plus `shift`.
    const shift = fromLine - 1;
    // Last line of the last record parsed (the header's line before the first).
    let lastEnd = fromLine === 1 ? 1 : shift;
    let restartAt: number | null = null;
    const parser = parseCsv({
      columns: header ?? ((h: string[]) => (header = h.map((x) => x.trim()))),
      bom: fromByte === 0,
      info: true,
      skip_empty_lines: true,
      max_record_size: MAX_ROW_BYTES,
      // A malformed record (wrong column count, bad quoting) is rejected, never fatal.
      skip_records_with_error: true,
      on_record: (record: unknown, context: { lines: number }) => {
        lastEnd = context.lines + shift;
        return record;
      },
    });
    // The restart reads from the byte where its line begins: csv-parse's from_line would still
    // tokenise the skipped lines, and the unclosed quote in them.
    const source = createReadStream(file, { start: fromByte });
    parser.on("skip", (err: Error & { lines?: number }) => {
      if (restartAt !== null) return;
      const at = (err.lines ?? 0) + shift;
      const began = lastEnd + 1;
      if (at > began && restarts < MAX_CSV_RESTARTS) {
        skipped.push({ line: began, error: `malformed CSV: a quoted field opened on line ${began} is not closed properly (noticed on line ${at}: ${err.message}); fix the quoting` });
        restartAt = began + 1;
        source.destroy();
        parser.end();
      } else {
        skipped.push({ line: at, error: `malformed CSV: ${err.message}` });
        lastEnd = at;
      }
    });
    source.pipe(parser);
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const line = rec.info.lines + shift;
      if (restartAt !== null && line >= restartAt) break;
      // The parser runs ahead of this loop, so rejects are yielded in line order, not as noticed.
      while (skipped.length && skipped[0]!.line <= line) yield skipped.shift()!;
      // Mapped before coercion, so a mapped "Variant Price" is coerced as price.
      yield { line, value: coerceCsv(columns ? applyColumnMap(rec.record, columns) : rec.record) };
    }
    while (skipped.length) yield skipped.shift()!;
    if (restartAt === null) return;
    fromByte = await lineOffset(file, restartAt, { line: fromLine, byte: fromByte });
    fromLine = restartAt;
  }
}

/**
 * Byte offset where 1-based `line` of a file begins (the file's size when it has fewer lines),
 * scanning on from a known line start so repeated restarts do not re-read the file from its top.
 */
async function lineOffset(file: string, line: number, from: { line: number; byte: number }): Promise<number> {
  let newlines = from.line - 1;
  let offset = from.byte;
  if (newlines === line - 1) return offset;
  for await (const chunk of createReadStream(file, { start: from.byte }) as AsyncIterable<Buffer>) {
    let i = -1;
    while ((i = chunk.indexOf(10, i + 1)) !== -1) {
      if (++newlines === line - 1) return offset + i + 1;
    }
    offset += chunk.length;
  }
  return offset;
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
