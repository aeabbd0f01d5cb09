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

function union(lists: Uint32Array[], n: number): Uint32Array {
  if (lists.length === 1) return lists[0]!;
  const total = lists.reduce((s, l) => s + l.length, 0);
  // Many rows: set them in a bitmap and read it back (linear) rather than sort them.
  if (total > n >>> 4) {
    const bits = new Int32Array((n + 31) >>> 5);
    for (const l of lists) for (let i = 0; i < l.length; i++) bits[l[i]! >>> 5]! |= 1 << (l[i]! & 31);
    return bitmapRows(bits);
  }
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

// An upper bound on the size of superset(expr), without building it (null: unanchored).
function supersetBound(expr: FilterExpr, cols: FilterColumns): number | null {
  switch (expr.op) {
    case "eq":
    case "in": {
      if (expr.field !== "brand" && expr.field !== "category") return null;
      const postings = cols.postings[expr.field];
      let sum = 0;
      for (const v of new Set(expr.op === "eq" ? [expr.value] : expr.values)) sum += (typeof v === "string" ? postings.get(v)?.length : 0) ?? 0;
      return sum;
    }
    case "and": {
      let min: number | null = null;
      for (const f of expr.filters) {
        const b = supersetBound(f, cols);
        if (b !== null) min = min === null ? b : Math.min(min, b);
      }
      return min;
    }
    case "or": {
      let sum = 0;
      for (const f of expr.filters) {
        const b = supersetBound(f, cols);
        if (b === null) return null;
        sum += b;
      }
      return sum;
    }
    default:
      return null;
  }
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
      return union(lists, cols.n);
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
      return parts.some((p) => p === null) ? null : union(parts as Uint32Array[], cols.n);
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
  const exact = postingsExact(expr);
  const bound = supersetBound(expr, cols) ?? cols.n;
  let sup: Uint32Array | null | undefined;
  if (bound > limit) {
    sup = superset(expr, cols);
    if ((sup?.length ?? cols.n) > limit) return null;
  }
  // Row by row, each candidate goes through the whole tree: candidates × nodes closure calls. Past
  // n of them, whole columns at once cost less (filter-bitmap.ts) and stay bounded for any filter.
  if (cols.columns && !exact && bound * nodeCount(expr) > cols.n) return bitmapRows(filterBitmap(expr, cols.columns, cols.n));
  if (sup === undefined) sup = superset(expr, cols);
  if (sup && exact) return sup;
  const pred = filterToPredicate(expr);
  const out = new Uint32Array(sup?.length ?? cols.n);
  let w = 0;
  if (sup) {
    for (let i = 0; i < sup.length; i++) if (pred(cols.item(sup[i]!))) out[w++] = sup[i]!;
  } else {
    for (let r = 0; r < cols.n; r++) if (pred(cols.item(r))) out[w++] = r;
  }
  return out.subarray(0, w);
}
