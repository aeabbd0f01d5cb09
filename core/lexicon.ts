import type { FilterExpr } from "./filter-schema.ts";
import { fold } from "./fold.ts";
import { segment } from "./segment.ts";

/** A constraint derived from the query text (seed 001 §3.2: "Nike shoes" → brand = Nike AND category = Shoes). */
export interface QueryConstraint {
  /** The constrained field. */
  field: "brand" | "category";
  /** The catalog value the item must have. */
  value: string;
  /** The query terms that matched, joined by a space. */
  term: string;
}

/** One brand or category value of a catalog. */
export interface LexiconEntry {
  /** Value exactly as stored on items (so an eq filter on it matches). */
  value: string;
  /** Items carrying it. */
  count: number;
}

/** The distinct brand and category values of a catalog with their item counts, most frequent first: what a release stores, and what its Lexicon is built from. */
export interface LexiconValues {
  brands: LexiconEntry[];
  categories: LexiconEntry[];
}

function counts(values: Iterable<string | null>): LexiconEntry[] {
  const m = new Map<string, number>();
  for (const v of values) if (v !== null && v !== "") m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([value, count]) => ({ value, count })).sort(byCount);
}

/** Most frequent first, then by value: one order wherever the values are listed. */
export function byCount(a: LexiconEntry, b: LexiconEntry): number {
  return b.count - a.count || (a.value < b.value ? -1 : 1);
}

/** Count the distinct brands and category paths of a catalog's items (null and "" skipped). */
export function countLexiconValues(brands: Iterable<string | null>, categories: Iterable<string | null>): LexiconValues {
  return { brands: counts(brands), categories: counts(categories) };
}

/**
 * Brand and category names from a catalog, indexed by their folded terms in sorted order: the query
 * matcher. A query is one query whatever its word order (its qid is its sorted terms, so "t-shirt"
 * and "shirt t" share a precomputed list), so a name matches its terms in any order; matching the
 * order as typed made the eval, which ranks canonical terms, read "shirt t" as Shirts.
 */
export interface Lexicon {
  /** Sorted folded terms ("north peak") → the field and catalog values they name. */
  entries: Map<string, { field: "brand" | "category"; values: string[] }>;
  /** Folded term → the entry keys filed under it (each key under its rarest term): the candidates a query's terms bring. */
  byTerm: Map<string, string[]>;
}

function key(text: string): string[] {
  return segment(text).map(fold).sort();
}

/** Build the lexicon from distinct brands and category paths; categories are matched by their leaf. */
export function buildLexicon(brands: Iterable<string>, categories: Iterable<string>): Lexicon {
  const entries: Lexicon["entries"] = new Map();
  const byTerm: Lexicon["byTerm"] = new Map();
  const add = (field: "brand" | "category", name: string, value: string) => {
    const terms = key(name);
    if (terms.length === 0) return;
    const k = terms.join(" ");
    const e = entries.get(k);
    // Brands win a tie with a category leaf of the same words: a brand is the more exclusive term.
    if (!e || (e.field === "category" && field === "brand")) entries.set(k, { field, values: [value] });
    else if (e.field === field && !e.values.includes(value)) e.values.push(value);
  };
  for (const b of brands) add("brand", b, b);
  for (const c of categories) add("category", c.split(">").at(-1)!.trim(), c);
  for (const e of entries.values()) e.values.sort();
  // Each name is filed under its rarest term only: a query must hold every term of a name, so that
  // one finds it, and a word many brands share ("north") does not bring them all as candidates.
  const df = new Map<string, number>();
  for (const k of entries.keys()) for (const t of new Set(k.split(" "))) df.set(t, (df.get(t) ?? 0) + 1);
  for (const k of entries.keys()) {
    const rarest = k.split(" ").reduce((a, b) => (df.get(b)! < df.get(a)! ? b : a));
    (byTerm.get(rarest) ?? byTerm.set(rarest, []).get(rarest)!).push(k);
  }
  return { entries, byTerm };
}

/**
 * Match the query's terms against the lexicon, longest name first, each term used once, and AND the
 * fields, OR-ing values within a field; constraints come in the order of their first term in the query.
 */
export function understandQuery(lexicon: Lexicon, query: string): { constraints: QueryConstraint[]; filter: FilterExpr | null } {
  const terms = segment(query);
  const folded = terms.map(fold);
  const candidates = [...new Set(folded.flatMap((t) => lexicon.byTerm.get(t) ?? []))].map((k) => ({ k, terms: k.split(" ") }));
  // Longest first (the more specific name), then by key, so the match does not depend on the map's order.
  candidates.sort((a, b) => b.terms.length - a.terms.length || (a.k < b.k ? -1 : 1));
  const used = new Array<boolean>(folded.length).fill(false);
  const found: { at: number; c: QueryConstraint[] }[] = [];
  for (const cand of candidates) {
    const at: number[] = [];
    for (const t of cand.terms) {
      const i = folded.findIndex((f, j) => f === t && !used[j] && !at.includes(j));
      if (i < 0) break;
      at.push(i);
    }
    if (at.length !== cand.terms.length) continue;
    for (const i of at) used[i] = true;
    at.sort((a, b) => a - b);
    const e = lexicon.entries.get(cand.k)!;
    found.push({ at: at[0]!, c: e.values.map((value) => ({ field: e.field, value, term: at.map((i) => terms[i]).join(" ") })) });
  }
  const constraints = found.sort((a, b) => a.at - b.at).flatMap((f) => f.c);
  return { constraints, filter: constraintsFilter(constraints) };
}

/** AND of eq/in filters over the constraints' fields (values of one field OR-ed), or null. */
export function constraintsFilter(constraints: readonly QueryConstraint[]): FilterExpr | null {
  const byField = new Map<QueryConstraint["field"], Set<string>>();
  for (const c of constraints) (byField.get(c.field) ?? byField.set(c.field, new Set()).get(c.field)!).add(c.value);
  const parts: FilterExpr[] = [...byField].map(([field, vals]) => (vals.size === 1 ? { op: "eq", field, value: [...vals][0]! } : { op: "in", field, values: [...vals].sort() }));
  return parts.length === 0 ? null : parts.length === 1 ? parts[0]! : { op: "and", filters: parts };
}

/** AND two optional filters. */
export function andFilters(a: FilterExpr | null | undefined, b: FilterExpr | null | undefined): FilterExpr | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return { op: "and", filters: [a, b] };
}
