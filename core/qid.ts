import { murmur3 } from "./murmur3.ts";
import { segment } from "./segment.ts";

/** A query's id and the canonical terms string it was hashed from. */
export interface QueryId {
  /** Unsigned 32-bit MurmurHash3 (x86_32, seed 0) of `terms`. */
  qid: number;
  /** Segmented terms, sorted and joined by one space: stored beside the qid to detect collisions. */
  terms: string;
}

/** Canonical terms string: segment, drop empties, sort (UTF-16 code unit order), join by a space. */
export function canonicalTerms(query: string): string {
  return segment(query)
    .filter((t) => t.length > 0)
    .sort()
    .join(" ");
}

/** qid of a query as seed 001 §3.1: hash of the sorted segmented terms, so word order does not matter. */
export function queryId(query: string): QueryId {
  const terms = canonicalTerms(query);
  return { qid: murmur3(terms, 0), terms };
}
