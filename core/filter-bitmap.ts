// A filter evaluated over whole columns at once, as bitmaps. The per-row predicate
// (filter-predicate.ts) costs rows × nodes closure calls: a 128-node filter that no brand or
// category narrows costs ~13M of them at 100k items, hundreds of ms. Here each leaf costs one
// lookup per value plus one bit per matching row (postings of text fields, the price order), and
// each and/or/not one pass over n/32 words, so the most a filter may hold stays a few ms.
// SQL's three-valued logic is kept exactly: every node yields the rows where it is TRUE and the
// rows where it is FALSE; the rest are UNKNOWN (NULL).
import type { FilterExpr, FilterField } from "./filter-schema.ts";

/** Whole-column access for filter evaluation. */
export interface FilterColumnIndex {
  /** Rows per value of a text field (brand, category, attributes.<key>), ascending; null when the field is no column (every row NULL). */
  postings(field: FilterField): ReadonlyMap<string, Uint32Array> | null;
  /** Rows where the field is not NULL, as a bitmap of n bits (shared: never mutate it). */
  present(field: FilterField): Uint32Array;
  /** Rows that have a price, ordered by price, with their prices ascending. */
  priceOrder(): { rows: Uint32Array; prices: Float64Array };
}

/** The columns a FilterColumnIndex is built over, one entry per row. */
export interface FilterSourceColumns {
  /** Brands (null when absent). */
  brands: readonly (string | null)[];
  /** Category paths (null when absent). */
  categories: readonly (string | null)[];
  /** Prices (null when absent). */
  prices: readonly (number | null)[];
  /** Attribute values by key. */
  attributeColumns: ReadonlyMap<string, readonly (string | null)[]>;
}

const words = (n: number) => new Uint32Array((n + 31) >>> 5);

/** Rows per distinct value of a text column, ascending (NULLs in none). */
export function postingsOf(values: readonly (string | null)[]): Map<string, Uint32Array> {
  const lists = new Map<string, number[]>();
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (v === null || v === undefined) continue;
    let l = lists.get(v);
    if (!l) lists.set(v, (l = []));
    l.push(r);
  }
  return new Map([...lists].map(([k, l]) => [k, Uint32Array.from(l)]));
}

/**
 * A FilterColumnIndex over plain columns. Attribute postings, presence bitmaps and the price order
 * are built on first use and kept (an attribute's postings hold one row number per item with a
 * value: half the size of the column itself).
 */
export function filterColumnIndex(cols: FilterSourceColumns, known: { brand?: Map<string, Uint32Array>; category?: Map<string, Uint32Array> } = {}): FilterColumnIndex {
  const n = cols.brands.length;
  const postingsCache = new Map<string, Map<string, Uint32Array>>();
  if (known.brand) postingsCache.set("brand", known.brand);
  if (known.category) postingsCache.set("category", known.category);
  const presentCache = new Map<string, Uint32Array>();
  let order: { rows: Uint32Array; prices: Float64Array } | null = null;
  const column = (field: FilterField): readonly (string | number | null)[] | null =>
    field === "brand" ? cols.brands : field === "category" ? cols.categories : field === "price" ? cols.prices : (cols.attributeColumns.get(field.slice("attributes.".length)) ?? null);
  return {
    postings(field) {
      if (field === "price") return null;
      let p = postingsCache.get(field);
      if (!p) {
        const c = column(field) as readonly (string | null)[] | null;
        if (!c) return null;
        postingsCache.set(field, (p = postingsOf(c)));
      }
      return p;
    },
    present(field) {
      let bits = presentCache.get(field);
      if (!bits) {
        bits = words(n);
        const c = column(field);
        if (c) for (let r = 0; r < n; r++) if (c[r] !== null && c[r] !== undefined) bits[r >>> 5]! |= 1 << (r & 31);
        presentCache.set(field, bits);
      }
      return bits;
    },
    priceOrder() {
      if (!order) {
        const rows: number[] = [];
        for (let r = 0; r < n; r++) if (typeof cols.prices[r] === "number") rows.push(r);
        rows.sort((a, b) => (cols.prices[a] as number) - (cols.prices[b] as number));
        order = { rows: Uint32Array.from(rows), prices: Float64Array.from(rows, (r) => cols.prices[r] as number) };
      }
      return order;
    },
  };
}

type Tri = { t: Uint32Array; f: Uint32Array };

// First index whose price is ≥ x (strict: > x).
function bound(prices: Float64Array, x: number, strict: boolean): number {
  let lo = 0,
    hi = prices.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? prices[mid]! <= x : prices[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function setRows(bits: Uint32Array, rows: Uint32Array, from = 0, to = rows.length): void {
  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    bits[r >>> 5]! |= 1 << (r & 31);
  }
}

// A leaf's FALSE rows: present and not TRUE.
function leaf(t: Uint32Array, present: Uint32Array): Tri {
  const f = new Uint32Array(t.length);
  for (let w = 0; w < t.length; w++) f[w] = present[w]! & ~t[w]!;
  return { t, f };
}

function evaluate(expr: FilterExpr, index: FilterColumnIndex, n: number): Tri {
  switch (expr.op) {
    case "eq":
    case "in": {
      const values = expr.op === "eq" ? [expr.value] : expr.values;
      const t = words(n);
      if (expr.field === "price") {
        const { rows, prices } = index.priceOrder();
        for (const v of values) if (typeof v === "number") setRows(t, rows, bound(prices, v, false), bound(prices, v, true));
      } else {
        const postings = index.postings(expr.field);
        if (!postings) return { t, f: words(n) };
        for (const v of values) {
          const rows = typeof v === "string" ? postings.get(v) : undefined;
          if (rows) setRows(t, rows);
        }
      }
      return leaf(t, index.present(expr.field));
    }
    case "range": {
      const t = words(n);
      // Only prices are numbers: a range over any other field is UNKNOWN for every row, as in SQL.
      if (expr.field !== "price") return { t, f: words(n) };
      const { rows, prices } = index.priceOrder();
      let lo = 0,
        hi = prices.length;
      if (expr.gte !== undefined) lo = Math.max(lo, bound(prices, expr.gte, false));
      if (expr.gt !== undefined) lo = Math.max(lo, bound(prices, expr.gt, true));
      if (expr.lte !== undefined) hi = Math.min(hi, bound(prices, expr.lte, true));
      if (expr.lt !== undefined) hi = Math.min(hi, bound(prices, expr.lt, false));
      if (lo < hi) setRows(t, rows, lo, hi);
      return leaf(t, index.present("price"));
    }
    case "and":
    case "or": {
      const [first, ...rest] = expr.filters.map((e) => evaluate(e, index, n));
      if (!first) return expr.op === "and" ? { t: words(n).fill(~0), f: words(n) } : { t: words(n), f: words(n).fill(~0) };
      const { t, f } = first;
      for (const x of rest) {
        if (expr.op === "and") {
          for (let w = 0; w < t.length; w++) {
            t[w]! &= x.t[w]!;
            f[w]! |= x.f[w]!;
          }
        } else {
          for (let w = 0; w < t.length; w++) {
            t[w]! |= x.t[w]!;
            f[w]! &= x.f[w]!;
          }
        }
      }
      return { t, f };
    }
    case "not": {
      const x = evaluate(expr.filter, index, n);
      return { t: x.f, f: x.t };
    }
  }
}

/** The rows of `n` where the filter is TRUE, as a bitmap (row r is bit r & 31 of word r >>> 5). */
export function filterBitmap(expr: FilterExpr, index: FilterColumnIndex, n: number): Uint32Array {
  const { t } = evaluate(expr, index, n);
  // An empty `and` fills whole words: clear the bits past the last row.
  if (n & 31) t[t.length - 1]! &= (1 << (n & 31)) - 1;
  return t;
}

/** The set rows of a bitmap, ascending. */
export function bitmapRows(bits: Uint32Array): Uint32Array {
  let count = 0;
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    // Popcount.
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    count += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  const out = new Uint32Array(count);
  let o = 0;
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    while (x !== 0) {
      const low = x & -x;
      out[o++] = (w << 5) + (31 - Math.clz32(low));
      x ^= low;
    }
  }
  return out;
}

/** Whether row r is set in a bitmap. */
export function hasRow(bits: Uint32Array, r: number): boolean {
  return (bits[r >>> 5]! & (1 << (r & 31))) !== 0;
}
