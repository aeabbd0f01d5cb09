// The SDK's public data types, written out in full: the published package must not need the
// server's source (or zod) to type-check an app. They mirror the server's AppRouter exactly;
// test/sdk-types.test.ts fails the type check (tsc) the moment the two drift apart. The job
// types are in sdk/job-types.ts.

// ── Filters ─────────────────────────────────────────────────────────────────────────────────

/** A field a filter may test: a column of the store or one item attribute. */
export type FilterField = "brand" | "category" | "price" | `attributes.${string}`;
/** A value a filter compares with: strings for text fields, numbers for price. */
export type FilterValue = string | number;

/** The filter expression tree: `{ op: "and", filters: [{ op: "eq", field: "brand", value: "Acme" }, ...] }`. */
export type FilterExpr =
  | { op: "eq"; field: FilterField; value: FilterValue }
  | { op: "in"; field: FilterField; values: FilterValue[] }
  | { op: "range"; field: FilterField; gte?: number; gt?: number; lte?: number; lt?: number }
  | { op: "and"; filters: FilterExpr[] }
  | { op: "or"; filters: FilterExpr[] }
  | { op: "not"; filter: FilterExpr };

/** Price bounds of the shorthand. */
export interface PriceRange {
  gte?: number | undefined;
  gt?: number | undefined;
  lte?: number | undefined;
  lt?: number | undefined;
}

/** The filter shorthand: `{ brand: "Nike", category: ["A", "B"], price: { lte: 100 }, attributes: { material: "wool" } }` (ANDed). */
export interface FilterShorthand {
  brand?: string | string[] | undefined;
  category?: string | string[] | undefined;
  /** A number (equal) or bounds. */
  price?: number | PriceRange | undefined;
  /** attribute key (lower-case letters, digits, _) → value or values. */
  attributes?: Record<string, string | string[]> | undefined;
}

/** Filters retrieve accepts: the expression tree or the shorthand. */
export type Filters = FilterExpr | FilterShorthand;

// ── retrieve, lookup, items, releases, health ──────────────────────────────────────────────

/** Which release to read from (default: the active one). */
export interface ReleaseOption {
  /** Release id such as r002. */
  release?: string | undefined;
}

/** Options of retrieve: everything but the query. */
export interface RetrieveOptions extends ReleaseOption {
  /** How many items (default 50). */
  k?: number | undefined;
  /** Hard constraints, ANDed with those query understanding derives from the query text. */
  filters?: Filters | undefined;
  /** Derive brand/category constraints from the query text (default true). */
  understand?: boolean | undefined;
  /** Relax query-derived constraints when they leave fewer than k items (default true). */
  relax?: boolean | undefined;
}

/** How the two channels' scores are combined. */
export type BlendMethod = "convex" | "rrf";

/** A blend of the vector and lexical channels. */
export interface Blend {
  /** Convex combination of normalised scores, or reciprocal-rank fusion. */
  method: BlendMethod;
  /** Weight of the vector channel in [0, 1]; the lexical channel gets 1 − weight. */
  weight: number;
  /** RRF constant (default 60). */
  rrfK?: number;
}

/** One retrieved item. */
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
  /** Image reference as imported (URL or path), when the item has one. */
  image: string | null;
  /** Which stage produced the item: the precomputed qid list or the live search ("ann": vector and lexical channels). */
  source: "qid" | "ann";
  /** Live-search items: the raw score of each channel (null when that channel did not return the item). */
  channels?: { vector: number | null; lexical: number | null };
  /** Present (true) when the item is there only because query-derived constraints were relaxed. */
  relaxed?: true;
}

/** A constraint query understanding derived from the query text. */
export interface DerivedConstraint {
  /** The constrained field. */
  field: "brand" | "category";
  /** The catalog value it must equal. */
  value: string;
  /** The query term(s) that matched the lexicon. */
  term: string;
}

/** The answer of retrieve. */
export interface RetrieveResult {
  /** Items, best first, no duplicates, at most k. */
  items: RetrievedItem[];
  /** Which path answered: the qid list alone, ANN alone, or the qid list topped up by ANN. */
  path: "qid" | "ann" | "qid+ann";
  /** The release that answered. */
  release: string;
  /** qid of the query and its canonical terms. */
  qid: number;
  terms: string;
  /**
   * Constraints applied: from the query text, from the caller, and the AND of both; `relaxed` lists
   * query-derived constraints dropped (category first, then brand) because they left fewer than k items.
   */
  constraints: { fromQuery: DerivedConstraint[]; fromCaller: FilterExpr | null; applied: FilterExpr | null; relaxed: DerivedConstraint[] };
  /** Channels that returned items in the live search ([] when the precomputed list answered alone). */
  channels: ("vector" | "lexical")[];
  /** The release's channel blend, when the live search ran. */
  blend?: Blend;
  /** Per-stage wall times in ms (understand, qid, encode, ann, total). */
  timings: Record<string, number>;
}

/** The answer of lookup: what a query maps to. */
export interface LookupResult {
  qid: number;
  terms: string;
  /** Whether the release has a precomputed list for this qid (with matching terms). */
  hit: boolean;
  /** Length of that list when hit. */
  listLength: number;
  release: string;
}

/** A stored item record. */
export interface ItemRecord {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  image: string | null;
  attributes: Record<string, string>;
  /** True when the item was embedded from its title alone. */
  textOnly: boolean;
}

/** A published release. */
export interface ReleaseInfo {
  /** Release id, r001, r002, ... */
  id: string;
  /** ISO time the release became complete. */
  createdAt: string;
  /** Whether readers are served from it now. */
  active: boolean;
  /** Items in the release. */
  items: number;
  /** Precomputed qid lists in the release. */
  qids: number;
  /** Vector index chosen for it and its parameters. */
  index: { kind: "exact" | "ivf_pq" | "ivf_hnsw_sq"; params: Record<string, number | string> };
  /** The model (or encoder) that produced the vectors. */
  model: string;
  /** Vector dimension. */
  dim: number;
  /** Retrieval channels: BM25 beside the vectors or not, and the blend fitted at publish. */
  retrieval: { lexical: boolean; blend: Blend };
}

/** Liveness and the active release. */
export interface Health {
  ok: boolean;
  release: string | null;
}

// ── Errors ──────────────────────────────────────────────────────────────────────────────────

/** A code the API puts in its errors (VitrineError.code adds NETWORK_ERROR and BAD_RESPONSE). */
export type ApiErrorCode =
  | "INVALID_INPUT"
  | "INVALID_FILTER"
  | "INVALID_JSON"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "RELEASE_NOT_FOUND"
  | "JOB_NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "INTERNAL"
  | "NO_RELEASE"
  | "UNAVAILABLE"
  | "SEGMENTER_UNAVAILABLE";

/** One field problem of a validation error. */
export interface FieldIssueData {
  /** Dotted path to the field ("" for the whole value). */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** The `data` of the server's errors (code, httpStatus, issues, requestId, retryAfter). */
export interface ErrorData {
  /** The error code. */
  code: ApiErrorCode;
  /** HTTP status sent. */
  httpStatus: number;
  /** Per-field problems, for validation errors. */
  issues?: FieldIssueData[];
  /** Request id, also in the x-request-id header. */
  requestId: string;
  /** Procedure path, when known. */
  path?: string;
  /** For RATE_LIMITED: seconds to wait (also the Retry-After header). */
  retryAfter?: number;
}
