import { bitmapRows, filterBitmap, type FilterColumnIndex } from "./filter-bitmap.ts";
import { filterToPredicate, type FilterableItem } from "./filter-predicate.ts";
import type { FilterExpr } from "./filter-schema.ts";

/** Columns of a release held in memory, as candidate selection needs them. */
export interface FilterColumns {
  /** Number of items. */
  n: number;
  /** Rows per brand value and per category value (sorted ascending). */
  postings: { brand: Map<string, Uint32Array>; category: Map<string, Uint32Array> };
  /** Filterable view of row `r`. */
  item(r: number): FilterableItem;
  /** Whole-column access: filters over many rows are evaluated as bitmaps (absent: row by row). */
  columns?: FilterColumnIndex;
}

const EMPTY = new Uint32Array(0);

function union(lists: Uint32Array[]): Uint32Array {
  if (lists.length === 1) return lists[0]!;
  const total = lists.reduce((s, l) => s + l.length, 0);
  const out = new Uint32Array(total);
  let o = 0;
  for (const l of lists) {
    out.set(l, o);
    o += l.length;
  }
  out.sort();
  // Values of one field are disjoint row sets, but dedupe anyway: "in" may repeat a value.
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[w++] = out[i]!;
  return out.subarray(0, w);
}

function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0,
    j = 0,
    w = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      out[w++] = a[i]!;
      i++;
      j++;
    }
  }
  return out.subarray(0, w);
}

// A superset of the matching rows from the postings, or null when the filter has no anchor on
// brand/category (then every row is a candidate). Only eq/in on brand/category and ANDs of them
// narrow; everything else is left to the predicate.
function superset(expr: FilterExpr, cols: FilterColumns): Uint32Array | null {
  switch (expr.op) {
    case "eq":
    case "in": {
      if (expr.field !== "brand" && expr.field !== "category") return null;
      const values = expr.op === "eq" ? [expr.value] : expr.values;
      const lists = values.map((v) => (typeof v === "string" ? cols.postings[expr.field as "brand" | "category"].get(v) : undefined) ?? EMPTY);
      return union(lists);
    }
    case "and": {
      let acc: Uint32Array | null = null;
      for (const f of expr.filters) {
        const s = superset(f, cols);
        if (s) acc = acc ? intersect(acc, s) : s;
      }
      return acc;
    }
    case "or": {
      const parts = expr.filters.map((f) => superset(f, cols));
      return parts.some((p) => p === null) ? null : union(parts as Uint32Array[]);
    }
    default:
      return null;
  }
}

/** Nodes of a filter tree. */
export function nodeCount(expr: FilterExpr): number {
  switch (expr.op) {
    case "and":
    case "or":
      return expr.filters.reduce((s, f) => s + nodeCount(f), 1);
    case "not":
      return 1 + nodeCount(expr.filter);
    default:
      return 1;
  }
}

/** The size of the postings superset of a filter (an upper bound on matches; n when unanchored). */
export function estimateMatches(expr: FilterExpr, cols: FilterColumns): number {
  return superset(expr, cols)?.length ?? cols.n;
}

// True when the postings superset is the exact answer: only eq/in on brand/category under ANDs
// and ORs (string values match postings exactly, NULLs are in no posting list).
function postingsExact(expr: FilterExpr): boolean {
  switch (expr.op) {
    case "eq":
    case "in":
      return expr.field === "brand" || expr.field === "category";
    case "and":
    case "or":
      return expr.filters.every(postingsExact);
    default:
      return false;
  }
}

/** Rows that match the filter exactly, in ascending order; scans at most `limit` candidates (null past it). */
export function matchingRows(expr: FilterExpr, cols: FilterColumns, limit = Infinity): Uint32Array | null {
  const sup = superset(expr, cols);
  const count = sup?.length ?? cols.n;
  if (count > limit) return null;
  if (sup && postingsExact(expr)) return sup;
  // Row by row, each candidate goes through the whole tree: rows × nodes closure calls. Past n of
  // them, whole columns at once cost less (filter-bitmap.ts), and stay bounded for any filter.
  if (cols.columns && count * nodeCount(expr) > cols.n) return bitmapRows(filterBitmap(expr, cols.columns, cols.n));
  const pred = filterToPredicate(expr);
  const out = new Uint32Array(count);
  let w = 0;
  if (sup) {
    for (let i = 0; i < sup.length; i++) if (pred(cols.item(sup[i]!))) out[w++] = sup[i]!;
  } else {
    for (let r = 0; r < cols.n; r++) if (pred(cols.item(r))) out[w++] = r;
  }
  return out.subarray(0, w);
}
