// Facet counts (DESIGN §6): brand, category and price buckets over a retrieve's candidate window —
// the ranking's first FACET_WINDOW items, whichever page is asked — so the counts are the same for
// every page of a query and the work is bounded (at most FACET_WINDOW items counted).
import type { FacetField } from "./schemas.ts";

/** Items of the ranking facets are counted over (the live search's depth, so counting adds no deeper search). */
export const FACET_WINDOW = 200;

/** Most values listed per text facet; the rest are summed in `other`. */
export const FACET_VALUES = 50;

/** What facet counting reads of an item. */
export interface FacetItem {
  brand?: string | null | undefined;
  category?: string | null | undefined;
  price?: number | null | undefined;
}

/** One value of a text facet and the items in the window carrying it. */
export interface FacetValue {
  value: string;
  count: number;
}

/** A text facet (brand or category): values most frequent first (ties by value). */
export interface TextFacet {
  /** Up to FACET_VALUES values. */
  values: FacetValue[];
  /** Items whose value is past the listed ones. */
  other: number;
  /** Items without a value. */
  missing: number;
}

/** One price bucket: gte ≤ price < lt. */
export interface PriceBucket {
  gte: number;
  lt: number;
  count: number;
}

/** The price facet: contiguous buckets of one "nice" width (1, 2, 2.5 or 5 × 10^n) covering the window's prices. */
export interface PriceFacet {
  /** Buckets in ascending order; empty when no item in the window has a price. */
  buckets: PriceBucket[];
  /** Items without a price. */
  missing: number;
}

/** Facet counts of one retrieve. */
export interface Facets {
  /** Items counted: the ranking's first FACET_WINDOW items (fewer when the ranking is shorter). */
  counted: number;
  brand?: TextFacet;
  category?: TextFacet;
  price?: PriceFacet;
}

function textFacet(values: readonly (string | null | undefined)[]): TextFacet {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null || v === undefined || v === "") missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const all = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const listed = all.slice(0, FACET_VALUES);
  const other = all.slice(FACET_VALUES).reduce((s, v) => s + v.count, 0);
  return { values: listed, other, missing };
}

/** The smallest 1, 2, 2.5 or 5 × 10^n that is ≥ x (x > 0). */
export function niceStep(x: number): number {
  const e = Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const s = m * 10 ** e;
    if (s >= x * (1 - 1e-12)) return tidy(s);
  }
  return tidy(10 ** (e + 1));
}

// Bucket edges are sums of steps: round away float noise (0.1 + 0.2) so they print as people write them.
const tidy = (x: number) => Number(x.toPrecision(12));

/** Buckets of about five of one nice width covering the prices (finite numbers). */
export function priceBuckets(prices: readonly number[], target = 5): PriceBucket[] {
  if (prices.length === 0) return [];
  let lo = Infinity,
    hi = -Infinity;
  for (const p of prices) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  const step = niceStep(hi > lo ? (hi - lo) / target : Math.max(Math.abs(lo), 1) / target);
  const start = tidy(Math.floor(lo / step) * step);
  const edges = [start];
  while (edges[edges.length - 1]! <= hi) edges.push(tidy(start + edges.length * step));
  const buckets = edges.slice(0, -1).map((gte, i) => ({ gte, lt: edges[i + 1]!, count: 0 }));
  for (const p of prices) {
    let i = Math.min(buckets.length - 1, Math.max(0, Math.floor((p - start) / step)));
    // The division can land one bucket off at an edge; the edges decide.
    while (i > 0 && p < buckets[i]!.gte) i--;
    while (i < buckets.length - 1 && p >= buckets[i]!.lt) i++;
    buckets[i]!.count++;
  }
  return buckets;
}

/** Count the asked facets over items (the candidate window, best first; only the first FACET_WINDOW count). */
export function countFacets(items: readonly FacetItem[], fields: readonly FacetField[]): Facets {
  const window = items.slice(0, FACET_WINDOW);
  const out: Facets = { counted: window.length };
  for (const f of fields) {
    if (f === "brand") out.brand = textFacet(window.map((i) => i.brand));
    else if (f === "category") out.category = textFacet(window.map((i) => i.category));
    else {
      const prices = window.map((i) => i.price).filter((p): p is number => typeof p === "number" && Number.isFinite(p));
      out.price = { buckets: priceBuckets(prices), missing: window.length - prices.length };
    }
  }
  return out;
}
