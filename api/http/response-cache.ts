// The qid response cache: the serialized answer of a retrieve that its precomputed list answered
// (path "qid"), kept under the release that answered, the image-link base and the request body's
// exact text, so a repeated request skips validation, the list, the item objects and JSON. A release
// never changes once published, so an entry is never stale; after a switch (activate, rollback, the
// pointer followed) lookups use the new release's id, and the old entries are dropped to free their
// memory. Bounded by bytes with lru-cache (its size accounting and eviction are what a hand-written
// LRU would have to get right again). Runtime-agnostic: no Node APIs (the Worker bundles api/http).
import { LRUCache } from "lru-cache";

/** Options of createResponseCache. */
export interface ResponseCacheOptions {
  /** Bytes of answers and keys kept at most (least recently used go first). */
  maxBytes: number;
  /** Request bodies longer than this many characters are answered but not cached (default 4,096). */
  maxBodyChars?: number;
}

/** What a cached retrieve logs and records again on each hit (search-ops.ts's query log fields). */
export interface CachedCall {
  /** Items in the answer. */
  items: number;
  /** The release that answered. */
  release: string;
  /** Query log fields of the request (query, k, offset, filtered, facets). */
  fields: Record<string, unknown>;
}

/** One stored answer: its JSON up to the timings value and after it, what the call costs, what it logs. */
export interface CachedAnswer {
  /** UTF-8 JSON of the answer up to `"timings":` (the timings are the request's own, spliced in). */
  head: Uint8Array;
  /** The rest after the timings value. */
  tail: Uint8Array;
  /** Tokens the call costs its key (request-cost.ts), charged on every hit. */
  cost: number;
  /** The query log line's fields. */
  call: CachedCall;
}

/** The cache of serialized qid answers. */
export interface ResponseCache {
  /** The stored answer for this release, image base and body, or undefined. */
  get(release: string, base: string, body: string): CachedAnswer | undefined;
  /** Store an answer (ignored when the body is too long to be worth a key). */
  set(release: string, base: string, body: string, answer: CachedAnswer): void;
  /** Note the release lookups use now; entries of any other release are dropped when it changes. */
  follow(release: string): void;
  /** Entries and bytes held (for tests and /metrics). */
  stats(): { entries: number; bytes: number };
}

// Map and key overhead per entry, roughly (the strings are counted at 2 bytes a character).
const ENTRY_OVERHEAD = 200;

/** A byte-bounded LRU of serialized answers; maxBytes 0 gives null (no cache). */
export function createResponseCache(opts: ResponseCacheOptions): ResponseCache | null {
  if (!(opts.maxBytes > 0)) return null;
  const maxBodyChars = opts.maxBodyChars ?? 4096;
  const lru = new LRUCache<string, CachedAnswer>({
    maxSize: opts.maxBytes,
    sizeCalculation: (a, key) => a.head.byteLength + a.tail.byteLength + key.length * 2 + ENTRY_OVERHEAD,
  });
  let current: string | null = null;
  // Release ids match /^r\d{3,}$/ and the base is a URL: neither holds a newline, so the key is unambiguous.
  const keyOf = (release: string, base: string, body: string) => `${release}\n${base}\n${body}`;
  return {
    get: (release, base, body) => (body.length > maxBodyChars ? undefined : lru.get(keyOf(release, base, body))),
    set(release, base, body, answer) {
      if (body.length > maxBodyChars) return;
      lru.set(keyOf(release, base, body), answer);
    },
    follow(release) {
      if (release === current) return;
      if (current !== null) lru.clear();
      current = release;
    },
    stats: () => ({ entries: lru.size, bytes: lru.calculatedSize }),
  };
}

const utf8 = new TextEncoder();

/**
 * Split an answer's JSON around its timings: `head` ends with `"timings":`, `tail` closes the object.
 * The answer is serialized with the timings last (JSON objects are unordered), so every response —
 * the first and each cached one — carries the timings of the request that got it.
 */
export function splitAnswer(answer: object): { head: Uint8Array; tail: Uint8Array } {
  const { timings: _, ...rest } = answer as { timings?: unknown };
  const json = JSON.stringify(rest);
  const head = json.length > 2 ? `${json.slice(0, -1)},"timings":` : `{"timings":`;
  return { head: utf8.encode(head), tail: utf8.encode("}") };
}

/** The bytes of a stored answer with this request's timings. */
export function joinAnswer(a: Pick<CachedAnswer, "head" | "tail">, timings: Record<string, number>): Uint8Array<ArrayBuffer> {
  const t = utf8.encode(JSON.stringify(timings));
  const out = new Uint8Array(a.head.byteLength + t.byteLength + a.tail.byteLength);
  out.set(a.head, 0);
  out.set(t, a.head.byteLength);
  out.set(a.tail, a.head.byteLength + t.byteLength);
  return out;
}
