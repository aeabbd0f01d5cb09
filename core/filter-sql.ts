import type { FilterExpr, FilterField, FilterValue } from "./filter-schema.ts";
import { CoreError } from "./errors.ts";

/** Options for compiling a filter to a LanceDB `where` string. */
export interface SqlOptions {
  /** Attribute keys that exist as columns of the table; others compile to NULL (no row matches). */
  knownAttributes?: ReadonlySet<string>;
}

/** Quote a string literal: LanceDB's SQL (DataFusion) treats backslashes literally; only ' needs doubling. */
export function sqlString(s: string): string {
  if (!s.isWellFormed()) throw new CoreError("INVALID_FILTER", "filter value is not well-formed Unicode (lone surrogate)");
  return `'${s.replaceAll("'", "''")}'`;
}

function sqlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new CoreError("INVALID_FILTER", `filter number ${n} is not finite`);
  // DataFusion orders floats totally (-0 < 0), IEEE and JS do not; the store never holds -0
  // (import normalises it), so a -0 literal becomes 0 to keep SQL and the JS predicate identical.
  // The cast keeps integer literals comparable with the Float64 column; exponent forms parse as floats.
  return `CAST(${String(n === 0 ? 0 : n)} AS DOUBLE)`;
}

function sqlValue(v: FilterValue): string {
  return typeof v === "number" ? sqlNumber(v) : sqlString(v);
}

function column(field: FilterField, opts: SqlOptions): string {
  if (field === "brand" || field === "category" || field === "price") return field;
  const key = field.slice("attributes.".length);
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(key)) throw new CoreError("INVALID_FILTER", `bad attribute key ${JSON.stringify(key)}`, "field");
  if (opts.knownAttributes && !opts.knownAttributes.has(key)) return "NULL";
  return `\`attributes\`.\`${key}\``;
}

/** Compile a filter tree to a SQL boolean expression; no value can escape its literal. */
export function filterToSql(expr: FilterExpr, opts: SqlOptions = {}): string {
  switch (expr.op) {
    case "eq":
      return `(${column(expr.field, opts)} = ${sqlValue(expr.value)})`;
    case "in":
      return `(${column(expr.field, opts)} IN (${expr.values.map(sqlValue).join(", ")}))`;
    case "range": {
      const col = column(expr.field, opts);
      const parts: string[] = [];
      if (expr.gte !== undefined) parts.push(`${col} >= ${sqlNumber(expr.gte)}`);
      if (expr.gt !== undefined) parts.push(`${col} > ${sqlNumber(expr.gt)}`);
      if (expr.lte !== undefined) parts.push(`${col} <= ${sqlNumber(expr.lte)}`);
      if (expr.lt !== undefined) parts.push(`${col} < ${sqlNumber(expr.lt)}`);
      return parts.length ? `(${parts.join(" AND ")})` : "TRUE";
    }
    case "and":
      return expr.filters.length ? `(${expr.filters.map((f) => filterToSql(f, opts)).join(" AND ")})` : "TRUE";
    case "or":
      return expr.filters.length ? `(${expr.filters.map((f) => filterToSql(f, opts)).join(" OR ")})` : "FALSE";
    case "not":
      return `(NOT ${filterToSql(expr.filter, opts)})`;
  }
}
