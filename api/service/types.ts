// The contract between the HTTP layer (api/http: the app, tRPC router, REST; the SDK) and the
// retrieval service behind it (api/service, on lancedb/). Runtime-agnostic — types and
// ServiceError only — so api/http and api/edge import this file rather than index.ts.
import {
  CodedError,
  type Blend,
  type ErrorKind,
  type Facets,
  type FilterExpr,
  type ItemRecord,
  type QueryConstraint,
  type ReleaseInfo,
  type RetrieveRequest,
  type SimilarRequest,
} from "../../core/index.ts";

// Defined in core (the store reads and writes them too); part of this contract as well.
export type { ItemRecord, ReleaseInfo } from "../../core/index.ts";

/** One retrieved item as the API returns it. */
export interface RetrievedItem {
  /** Catalog id. */
  id: string;
  /** Similarity (inner product of normalised vectors, higher is better). */
  score: number;
  /** Title as imported. */
  title: string;
  /** Brand, when known. */
  brand: string | null;
  /** Category path, when known. */
  category: string | null;
  /** Price, when known. */
  price: number | null;
  /**
   * The item's image as the API sends it: an absolute URL of GET /v1/images/{id} (add ?size=thumb
   * for a thumbnail), null when the item has no usable image. (The service itself returns the
   * catalog's reference; the HTTP layer turns it into the URL.)
   */
  image: string | null;
  /** Which stage produced the item: the precomputed qid list or the live search ("ann": vector and lexical channels). */
  source: "qid" | "ann";
  /** Live-search items: the raw score of each channel (null when that channel did not return the item). */
  channels?: { vector: number | null; lexical: number | null };
  /** Present (true) when the item is there only because query-derived constraints were relaxed. */
  relaxed?: true;
}

/** The answer to one retrieve call. */
export interface RetrieveResult {
  /** Items of the page, best first, no duplicates, at most k: items [offset, offset + k) of the query's ranking. */
  items: RetrievedItem[];
  /** Where the page starts in the ranking. */
  offset: number;
  /** Whether the page is full, so the ranking may go on (the page after the last full one comes back empty). */
  more: boolean;
  /** The next page's cursor (send it as `cursor`), while `more` and the next page fits the server's result window. */
  nextCursor?: string;
  /** Facet counts over the ranking's first 200 items, when asked for (`facets`). */
  facets?: Facets;
  /** Which path served the page's items: the qid list alone, the live search alone ("ann": vector and lexical channels), or both. */
  path: "qid" | "ann" | "qid+ann";
  /** The release that answered. */
  release: string;
  /** qid of the query and its canonical terms. */
  qid: number;
  terms: string;
  /**
   * Constraints applied: from the query text, from the caller, and the AND of both; `relaxed` lists
   * query-derived constraints dropped (category first, then brand) for the page's items, because they left too few.
   */
  constraints: { fromQuery: QueryConstraint[]; fromCaller: FilterExpr | null; applied: FilterExpr | null; relaxed: QueryConstraint[] };
  /** Channels that returned items in the live search ([] when the precomputed list answered alone). */
  channels: ("vector" | "lexical")[];
  /** The release's channel blend, when the live search ran. */
  blend?: Blend;
  /** Per-stage wall times in ms (understand, qid, encode, ann, total). */
  timings: Record<string, number>;
}

/** The answer to one similar call: the item's neighbours in the release's item-embedding space. */
export interface SimilarResult {
  /** The item asked about. */
  id: string;
  /** Its neighbours, best first (inner product of item vectors), never the item itself, at most k. */
  items: RetrievedItem[];
  /** The release that answered. */
  release: string;
  /** The caller's filter as applied (normalised to the expression tree), or null. */
  filters: FilterExpr | null;
  /** Per-stage wall times in ms. */
  timings: Record<string, number>;
}

/** What a query maps to. */
export interface LookupResult {
  qid: number;
  terms: string;
  /** Whether the release has a precomputed list for this qid (with matching terms). */
  hit: boolean;
  /** Length of that list when hit. */
  listLength: number;
  release: string;
}

/** How a release switch treats the edge (Workers KV). */
export interface SwitchOptions {
  /**
   * Absent: the edge's pointer moves too when the server has the Cloudflare credentials (refused,
   * 409, when the data directory has an edge and they are missing); false: leave the edge where it
   * is; true: move it (refused, 400, without credentials).
   */
  edge?: boolean;
}

/** Everything the API needs from retrieval; implemented on LanceDB in api/service. */
export interface RetrievalService {
  /** Retrieve items for a query (DESIGN §6). */
  retrieve(req: RetrieveRequest): Promise<RetrieveResult>;
  /** Items similar to one item (its own vector as the query); ITEM_NOT_FOUND when the release has no such item. */
  similar(req: SimilarRequest): Promise<SimilarResult>;
  /** Map a query to its qid and whether a precomputed list exists. */
  lookup(query: string, release?: string): Promise<LookupResult>;
  /** Fetch item records by id, in the order asked; unknown ids are left out. */
  getItems(ids: string[], release?: string): Promise<ItemRecord[]>;
  /** All complete releases, newest first. */
  listReleases(): Promise<ReleaseInfo[]>;
  /** Make a release the active one (one write; readers switch without a failed request); the edge follows (SwitchOptions). */
  activate(release: string, opts?: SwitchOptions): Promise<ReleaseInfo>;
  /** Re-activate the release that was active before the current one; the edge follows (SwitchOptions). */
  rollback(opts?: SwitchOptions): Promise<ReleaseInfo>;
  /** Liveness and the active release. */
  health(): Promise<{ ok: boolean; release: string | null }>;
  /**
   * The release a retrieve without `release` would answer from now (null: none loaded), without
   * waiting: the API's response cache keys answers by it. Absent: the API caches nothing.
   */
  activeRelease?(): string | null;
  /** Release resources. */
  close(): Promise<void>;
}

/** Error codes of the service layer; the API maps each to an HTTP status. */
export type ServiceErrorCode = "NO_RELEASE" | "RELEASE_NOT_FOUND" | "ITEM_NOT_FOUND" | "BAD_REQUEST" | "UNAVAILABLE";

/** The one typed error of the service layer. */
export class ServiceError extends CodedError<ServiceErrorCode> {
  override readonly name = "ServiceError";
  get kind(): ErrorKind {
    return SERVICE_KINDS[this.code];
  }
}

const SERVICE_KINDS: Record<ServiceErrorCode, ErrorKind> = { NO_RELEASE: "missing", RELEASE_NOT_FOUND: "missing", ITEM_NOT_FOUND: "missing", BAD_REQUEST: "input", UNAVAILABLE: "unavailable" };
