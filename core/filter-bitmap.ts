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
  present(field: FilterField): Int32Array;
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

// Bitmaps are Int32Array: a Uint32Array word with the top bit set reads back as a double, which
// made every word operation ~10x slower.
const words = (n: number) => new Int32Array((n + 31) >>> 5);

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
  const presentCache = new Map<string, Int32Array>();
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

type Tri = { t: Int32Array; f: Int32Array };

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

function setRows(bits: Int32Array, rows: Uint32Array, from = 0, to = rows.length): void {
  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    bits[r >>> 5]! |= 1 << (r & 31);
  }
}

// One evaluation: a pair of bitmaps per tree level, reused by every node at that level (a filter
// has up to 128 nodes; allocating two bitmaps for each cost more than the evaluation itself).
class Evaluation {
  private readonly levels: Tri[] = [];
  constructor(
    private readonly index: FilterColumnIndex,
    private readonly words: number,
  ) {}

  private at(level: number): Tri {
    let tri = this.levels[level];
    if (!tri) this.levels[level] = tri = { t: new Int32Array(this.words), f: new Int32Array(this.words) };
    return tri;
  }

  // A leaf's FALSE rows: present and not TRUE.
  private leaf(out: Tri, field: FilterField): void {
    const present = this.index.present(field);
    const { t, f } = out;
    for (let w = 0; w < t.length; w++) f[w] = present[w]! & ~t[w]!;
  }

  /** Evaluate `expr` into `out` (its previous content is overwritten); `level` is its depth. */
  run(expr: FilterExpr, out: Tri, level: number): void {
    switch (expr.op) {
      case "eq":
      case "in": {
        out.t.fill(0);
        const values = expr.op === "eq" ? [expr.value] : expr.values;
        if (expr.field === "price") {
          const { rows, prices } = this.index.priceOrder();
          for (const v of values) if (typeof v === "number") setRows(out.t, rows, bound(prices, v, false), bound(prices, v, true));
        } else {
          const postings = this.index.postings(expr.field);
          if (!postings) {
            out.f.fill(0);
            return;
          }
          for (const v of values) {
            const rows = typeof v === "string" ? postings.get(v) : undefined;
            if (rows) setRows(out.t, rows);
          }
        }
        this.leaf(out, expr.field);
        return;
      }
      case "range": {
        out.t.fill(0);
        // Only prices are numbers: a range over any other field is UNKNOWN for every row, as in SQL.
        if (expr.field !== "price") {
          out.f.fill(0);
          return;
        }
        const { rows, prices } = this.index.priceOrder();
        let lo = 0,
          hi = prices.length;
        if (expr.gte !== undefined) lo = Math.max(lo, bound(prices, expr.gte, false));
        if (expr.gt !== undefined) lo = Math.max(lo, bound(prices, expr.gt, true));
        if (expr.lte !== undefined) hi = Math.min(hi, bound(prices, expr.lte, true));
        if (expr.lt !== undefined) hi = Math.min(hi, bound(prices, expr.lt, false));
        if (lo < hi) setRows(out.t, rows, lo, hi);
        this.leaf(out, "price");
        return;
      }
      case "and":
      case "or": {
        // An empty list is TRUE (and) or FALSE (or) for every row, as filterToSql writes it.
        out.t.fill(expr.op === "and" ? ~0 : 0);
        out.f.fill(expr.op === "and" ? 0 : ~0);
        const tmp = this.at(level + 1);
        for (const child of expr.filters) {
          this.run(child, tmp, level + 1);
          const { t, f } = out;
          if (expr.op === "and") {
            for (let w = 0; w < t.length; w++) {
              t[w]! &= tmp.t[w]!;
              f[w]! |= tmp.f[w]!;
            }
          } else {
            for (let w = 0; w < t.length; w++) {
              t[w]! |= tmp.t[w]!;
              f[w]! &= tmp.f[w]!;
            }
          }
        }
        return;
      }
      case "not": {
        this.run(expr.filter, out, level);
        const t = out.t;
        out.t = out.f;
        out.f = t;
        return;
      }
    }
  }
}

/** The rows of `n` where the filter is TRUE, as a bitmap (row r is bit r & 31 of word r >>> 5). */
export function filterBitmap(expr: FilterExpr, index: FilterColumnIndex, n: number): Int32Array {
  const words = (n + 31) >>> 5;
  const out: Tri = { t: new Int32Array(words), f: new Int32Array(words) };
  new Evaluation(index, words).run(expr, out, 0);
  // TRUE from an empty `and` fills whole words: clear the bits past the last row.
  if (n & 31) out.t[words - 1]! &= (1 << (n & 31)) - 1;
  return out.t;
}

/** The number of set rows of a bitmap. */
export function bitmapCount(bits: Int32Array): number {
  let count = 0;
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    // Popcount.
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    count += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return count;
}

/** The set rows of a bitmap, ascending. */
export function bitmapRows(bits: Int32Array): Uint32Array {
  const out = new Uint32Array(bitmapCount(bits));
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
export function hasRow(bits: Int32Array, r: number): boolean {
  return (bits[r >>> 5]! & (1 << (r & 31))) !== 0;
}
