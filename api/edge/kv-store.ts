// Reading a pushed release out of Workers KV (layout: core/edge-layout.ts), with per-isolate
// caches: release keys never change once written, so their values are kept (bounded LRU); only
// the `active` pointer is re-read, after a short TTL, so a flip reaches every isolate quickly. A
// pointer is followed only to a release whose meta record this isolate can read (every list and the
// lexicon were stored before it): a half-moved pointer leaves the isolate on the release it served,
// or, in a fresh isolate, on the pointer's `previous`.
import {
  buildLexicon,
  EDGE_ACTIVE_KEY,
  edgeLexiconKey,
  edgeMetaKey,
  edgeQidKey,
  type EdgeItem,
  type EdgeLexiconValue,
  type EdgePointer,
  type EdgeQidValue,
  type EdgeReleaseMeta,
  type Lexicon,
  parseEdgeValue,
} from "../../core/index.ts";

/** The part of a Workers KV namespace binding the edge reads with. */
export interface KvNamespaceReader {
  /** Read a value as text (null when the key does not exist). */
  get(key: string, options: { type: "text"; cacheTtl?: number }): Promise<string | null>;
}

/** Options of createEdgeStore. */
export interface EdgeStoreOptions {
  /** The KV namespace holding the pushed releases (binding QIDS). */
  kv: KvNamespaceReader;
  /** How long an isolate trusts the pointer it read, in ms (default 2,000; 0 re-reads every request). */
  pointerTtlMs?: number;
  /** qid values kept per isolate (default 256; 0 disables the cache). */
  qidCacheSize?: number;
  /** KV edge-cache TTL in seconds for release keys, which never change (default 3,600; KV's minimum is 30). */
  releaseCacheTtl?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Reads the edge's view of the active release. */
export interface EdgeStore {
  /** The release to serve: the one the pointer names once its meta record is readable (else the one served before, or the pointer's previous); null when nothing was pushed (or the pointer is unreadable). */
  activeRelease(): Promise<string | null>;
  /** The release's query-understanding lexicon, or null when it is missing. */
  lexicon(release: string): Promise<Lexicon | null>;
  /** The list stored for (qid, terms), or null on a miss (including a qid collision with other terms). */
  qidList(release: string, qid: number, terms: string): Promise<EdgeItem[] | null>;
}

/** An EdgeStore over a KV namespace. */
export function createEdgeStore(opts: EdgeStoreOptions): EdgeStore {
  const { kv } = opts;
  const now = opts.now ?? (() => Date.now());
  const pointerTtl = opts.pointerTtlMs ?? 2_000;
  const cacheSize = opts.qidCacheSize ?? 256;
  const cacheTtl = Math.max(30, opts.releaseCacheTtl ?? 3_600);
  let pointer: { at: number; value: Promise<string | null> } | null = null;
  const lexicons = new Map<string, Promise<Lexicon | null>>();
  const lists = new Map<string, Promise<EdgeQidValue | null>>();

  // The release this isolate last served, and which releases have their meta record (kept once
  // seen: release keys never change; a miss is asked again at the next pointer read).
  let serving: string | null = null;
  const complete = new Map<string, Promise<boolean>>();
  const isComplete = (release: string): Promise<boolean> => {
    let c = complete.get(release);
    if (!c) {
      // Default KV caching: a long cacheTtl would keep a not-yet-visible meta record missing.
      c = kv.get(edgeMetaKey(release), { type: "text" }).then((text) => parseEdgeValue<EdgeReleaseMeta>(text)?.release === release);
      const p = c;
      p.then(
        (ok) => ok || complete.delete(release),
        () => complete.delete(release),
      );
      complete.set(release, c);
    }
    return c;
  };

  const readPointer = async (): Promise<string | null> => {
    // Default KV caching for the pointer: a long cacheTtl would delay flips.
    const p = parseEdgeValue<EdgePointer>(await kv.get(EDGE_ACTIVE_KEY, { type: "text" }));
    if (!p || typeof p.release !== "string") return null;
    if (p.release === serving || (await isComplete(p.release))) return (serving = p.release);
    // Half-moved: the release named is not complete here (pointer written early, or its keys not
    // yet visible at this location). Keep what this isolate served; a fresh one takes `previous`.
    if (serving !== null) return serving;
    if (typeof p.previous === "string" && (await isComplete(p.previous))) return (serving = p.previous);
    return null;
  };

  return {
    activeRelease() {
      const t = now();
      if (!pointer || t - pointer.at >= pointerTtl) {
        const value = readPointer();
        pointer = { at: t, value };
        // A failed read is retried by the next request, not cached.
        value.catch(() => {
          if (pointer?.value === value) pointer = null;
        });
      }
      return pointer.value;
    },
    lexicon(release) {
      let l = lexicons.get(release);
      if (!l) {
        l = kv.get(edgeLexiconKey(release), { type: "text", cacheTtl }).then((text) => {
          const v = parseEdgeValue<EdgeLexiconValue>(text);
          return v && Array.isArray(v.brands) && Array.isArray(v.categories) ? buildLexicon(v.brands, v.categories) : null;
        });
        const p = l;
        p.then(
          (v) => v === null && lexicons.delete(release),
          () => lexicons.delete(release),
        );
        // Two releases at most: the one served and the one a flip just moved to.
        if (lexicons.size >= 2) lexicons.delete(lexicons.keys().next().value!);
        lexicons.set(release, l);
      }
      return l;
    },
    async qidList(release, qid, terms) {
      const key = edgeQidKey(release, qid);
      let v = lists.get(key);
      if (v) {
        // LRU: move to the back.
        lists.delete(key);
        lists.set(key, v);
      } else {
        v = kv.get(key, { type: "text", cacheTtl }).then((text) => parseEdgeValue<EdgeQidValue>(text));
        if (cacheSize > 0) {
          const p = v;
          p.catch(() => lists.delete(key));
          lists.set(key, v);
          if (lists.size > cacheSize) lists.delete(lists.keys().next().value!);
        }
      }
      const value = await v;
      // Same qid, other terms: a hash collision, not a hit.
      const list = value?.lists?.find((l) => l.terms === terms);
      return list && Array.isArray(list.items) ? list.items : null;
    },
  };
}
