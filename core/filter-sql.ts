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
  return compile(expr, opts, repeatedFields(expr));
}

// Fields tested by more than one eq/in leaf. DataFusion (LanceDB 0.31) rewrites `x IN A AND x IN B`
// (ORs of equalities included) with A ∩ B empty to FALSE, where SQL says NULL for a NULL x: under a
// NOT that selects every NULL row. Leaves on such fields are written so the rewrite does not apply.
function repeatedFields(expr: FilterExpr): Set<FilterField> {
  const seen = new Set<FilterField>();
  const repeated = new Set<FilterField>();
  const walk = (e: FilterExpr): void => {
    if (e.op === "eq" || e.op === "in") {
      if (seen.has(e.field)) repeated.add(e.field);
      seen.add(e.field);
    } else if (e.op === "and" || e.op === "or") e.filters.forEach(walk);
    else if (e.op === "not") walk(e.filter);
  };
  walk(expr);
  return repeated;
}

// `test` as is, or NULL-guarded: (col IS NULL AND NULL) OR test — the same three-valued answer,
// in a form DataFusion's in-list rewrite does not match.
function membership(col: string, test: string, guard: boolean): string {
  return guard ? `((${col} IS NULL AND CAST(NULL AS BOOLEAN)) OR ${test})` : `(${test})`;
}

function compile(expr: FilterExpr, opts: SqlOptions, repeated: ReadonlySet<FilterField>): string {
  switch (expr.op) {
    case "eq": {
      const col = column(expr.field, opts);
      return membership(col, `${col} = ${sqlValue(expr.value)}`, repeated.has(expr.field));
    }
    case "in": {
      const col = column(expr.field, opts);
      return membership(col, `${col} IN (${expr.values.map(sqlValue).join(", ")})`, repeated.has(expr.field));
    }
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
      return expr.filters.length ? `(${expr.filters.map((f) => compile(f, opts, repeated)).join(" AND ")})` : "TRUE";
    case "or":
      return expr.filters.length ? `(${expr.filters.map((f) => compile(f, opts, repeated)).join(" OR ")})` : "FALSE";
    case "not":
      return `(NOT ${compile(expr.filter, opts, repeated)})`;
  }
}
