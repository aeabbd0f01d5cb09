// The Workers KV layout of a release pushed to the edge: the contract between the writer
// (lancedb/edge-push.ts, Node) and the reader (api/edge, workerd). No imports, no runtime APIs, so
// the Worker bundle can take it; it lives in core so that the edge, which may not load LanceDB,
// reads it through core's entry like the store does.
//
//   <release>/q/<qid>   EdgeQidValue: the precomputed list(s) of that qid with each item's attributes
//   <release>/lexicon   EdgeLexiconValue: brand and category values for query understanding
//   <release>/meta      EdgeReleaseMeta: written after every list and the lexicon
//   active              EdgePointer: written last, and only to a release whose meta is stored
//
// Release keys are immutable once written, so readers may cache them for as long as they like; a
// push that stops half-way leaves keys no pointer names, and the edge keeps serving the old release.
// Readers also check that the release the pointer names has its meta record before serving it (a
// pointer written early, or seen before the release's keys reach a location, is not followed).
// Every key of a release starts with edgeReleasePrefix(release): gc deletes a release by prefix.

/** Version of the value formats; the reader treats any other version as a miss. */
export const EDGE_FORMAT = 1;

/** Key of the pointer to the release the edge serves. */
export const EDGE_ACTIVE_KEY = "active";

/** The prefix of every key of a release. */
export function edgeReleasePrefix(release: string): string {
  return `${release}/`;
}

/** Key of one qid's lists in a release. */
export function edgeQidKey(release: string, qid: number): string {
  return `${release}/q/${qid}`;
}

/** Key of a release's lexicon. */
export function edgeLexiconKey(release: string): string {
  return `${release}/lexicon`;
}

/** Key of a release's completion record. */
export function edgeMetaKey(release: string): string {
  return `${release}/meta`;
}

/** One item of a list: what the answer shows and what filters look at; absent fields are null. */
export interface EdgeItem {
  /** Catalog id. */
  id: string;
  /** Score as stored in the release's qid list (float32). */
  score: number;
  /** Title. */
  title: string;
  /** Brand. */
  brand?: string;
  /** Category path. */
  category?: string;
  /** Price. */
  price?: number;
  /** Image reference. */
  image?: string;
  /** Non-null attributes. */
  attributes?: Record<string, string>;
}

/** The value at `<release>/q/<qid>`: one list per distinct canonical terms string (several only on a hash collision). */
export interface EdgeQidValue {
  /** EDGE_FORMAT. */
  format: number;
  /** Lists by canonical terms. */
  lists: { terms: string; items: EdgeItem[] }[];
}

/** The value at `<release>/lexicon`: the release's brand and category values, in the release's order. */
export interface EdgeLexiconValue {
  /** EDGE_FORMAT. */
  format: number;
  /** Brand values, most frequent first (the order the origin builds its lexicon from). */
  brands: string[];
  /** Category paths, most frequent first. */
  categories: string[];
}

/** The value at `<release>/meta`. */
export interface EdgeReleaseMeta {
  /** EDGE_FORMAT. */
  format: number;
  /** Release id. */
  release: string;
  /** When the release was published (origin time). */
  createdAt: string;
  /** qid keys written. */
  qids: number;
  /** Longest list pushed (the release's top-K, or less when truncated). */
  listLength: number;
  /** When the push finished writing the release's keys. */
  pushedAt: string;
}

/** The value at `active`. */
export interface EdgePointer {
  /** EDGE_FORMAT. */
  format: number;
  /** The release the edge answers from. */
  release: string;
  /** The release it named before (absent in pointers written before it existed): an isolate that never served a release falls back to it while `release` is incomplete. */
  previous?: string | null;
  /** When the pointer was written. */
  pushedAt: string;
}

/**
 * A KV value of this layout, parsed; null when absent, unreadable or of another format version (a
 * miss: the origin answers until a push in this format). The one reader for the Worker and Node.
 */
export function parseEdgeValue<T extends { format?: unknown }>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as T;
    return v !== null && typeof v === "object" && v.format === EDGE_FORMAT ? v : null;
  } catch {
    return null;
  }
}
