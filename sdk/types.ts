// The SDK's public data types, written out in full: the published package must not need the
// server's source (or zod) to type-check an app. They mirror the server's AppRouter exactly;
// test/sdk-types.test.ts fails the type check (tsc) the moment the two drift apart.

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

// ── Jobs ────────────────────────────────────────────────────────────────────────────────────

/** Job kinds. retrain = pretrain → finetune → export → embed → eval → publish. */
export type JobKind = "pretrain" | "finetune" | "export" | "embed" | "eval" | "publish" | "retrain";
/** Where a job is in its life (`interrupted`: the API stopped while it ran; resume it). */
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
/** Metrics the eval gate can compare (on unseen held-out pairs). */
export type GateMetric = "recall@10" | "recall@50" | "recall@100" | "recall@200" | "hitrate@10" | "hitrate@100" | "ndcg@10";

/** Job configuration; each kind reads the sections it needs. Unknown keys are refused by the server. */
export interface JobConfig {
  /** Model preset: tiny (tests), cpu (2 cores), base (GPU). */
  preset?: "tiny" | "cpu" | "base" | undefined;
  /** Force a TF.js backend. */
  backend?: "node-gpu" | "node" | "wasm" | "cpu" | undefined;
  pretrain?:
    | {
        steps?: number | undefined;
        batchSize?: number | undefined;
        lr?: number | undefined;
        seed?: number | undefined;
        fusion?: "text" | "concat" | "fusion" | undefined;
        mpm?: "contrastive" | "regression" | undefined;
        mbns?: boolean | undefined;
        cdns?: boolean | undefined;
        stage1Fraction?: number | undefined;
        checkpointEvery?: number | undefined;
      }
    | undefined;
  finetune?:
    | {
        /** 0 skips fine-tuning. */
        steps?: number | undefined;
        batchSize?: number | undefined;
        negatives?: number | undefined;
        lr?: number | undefined;
        seed?: number | undefined;
        checkpointEvery?: number | undefined;
      }
    | undefined;
  export?: { samples?: number | undefined } | undefined;
  embed?: { batchSize?: number | undefined } | undefined;
  gate?:
    | {
        /** Metrics compared against the active release on unseen held-out pairs; each must hold (default ndcg@10 and recall@100). */
        metrics?: GateMetric[] | undefined;
        /** Largest drop allowed per metric, absolute (0.01 = one point). */
        tolerance?: number | undefined;
        /** Fewest unseen held-out pairs the gate decides on (default 30); fewer → refused unless force. */
        minPairs?: number | undefined;
        /** Publish even when the gate refuses (the decision is still recorded). */
        force?: boolean | undefined;
      }
    | undefined;
  publish?:
    | {
        /** Length of the precomputed qid lists. */
        topK?: number | undefined;
        /** Make the new release active (default true). */
        activate?: boolean | undefined;
        /** Then push it to the edge's Workers KV (credentials from the API's environment). */
        edge?: boolean | undefined;
      }
    | undefined;
}

/** Filters of jobs.list. */
export interface ListJobsOptions {
  /** At most this many (default 100). */
  limit?: number | undefined;
  /** Only jobs in this state. */
  state?: JobState | undefined;
}

/** One pipeline stage. */
export type StageName = "pretrain" | "finetune" | "export" | "embed" | "eval" | "publish";

/** A stage's record. */
export interface StageRecord {
  /** The stage. */
  name: StageName;
  /** pending → running → succeeded | failed | skipped (publish refused by the eval gate). */
  state: "pending" | "running" | "succeeded" | "failed" | "skipped";
  /** ISO times. */
  startedAt: string | null;
  finishedAt: string | null;
  /** Numbers the stage reported at its end (losses, hit rates, items/s, Recall@K, ...). */
  metrics: Record<string, number | string | null>;
}

/** Live progress of the running stage. */
export interface JobProgress {
  /** The stage reporting. */
  stage: StageName;
  /** Units done and in all (steps, items, release stages). */
  done: number;
  total: number;
  /** What the units are. */
  unit: string;
  /** Units per second, when the stage measures it. */
  rate: number | null;
  /** Extra live numbers (loss, ...). */
  detail: Record<string, number | string>;
}

/** One metric the gate compared. */
export interface GateCheck {
  /** The metric, e.g. "ndcg@10". */
  metric: string;
  /** The candidate's value on the gate's slice. */
  candidate: number;
  /** The active release's value, or null when none was active. */
  active: number | null;
  /** Whether the candidate is within tolerance of the active release on it. */
  passed: boolean;
}

/** What the eval gate decided before publishing. */
export interface GateDecision {
  /** The slice decided on: "unseen pairs" (held-out pairs never in the training clicks). */
  slice: string;
  /** Each metric compared (default NDCG@10 and Recall@100). */
  checks: GateCheck[];
  /** Held-out (query, item) pairs in the slice: below the minimum the gate does not decide. */
  pairs: number;
  /** The candidate, published inactive and scored exactly as it would serve. */
  candidateRelease: string | null;
  /** The active release compared against. */
  activeRelease: string | null;
  /** Largest drop allowed per metric (absolute). */
  tolerance: number;
  /** Whether the candidate may be published. */
  passed: boolean;
  /** Published although refused (gate.force). */
  forced: boolean;
  /** One sentence for people. */
  message: string;
}

/** A job's record (state, stages, progress, gate, release). */
export interface JobRecord {
  /** Job id, e.g. j20261122-071500-ab12. */
  id: string;
  /** What it runs. */
  kind: JobKind;
  /** Its configuration as triggered (defaults filled in by the job itself). */
  config: JobConfig;
  state: JobState;
  /** ISO times. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The stages, in order, with their state and metrics. */
  stages: StageRecord[];
  /** Latest progress report of the running stage. */
  progress: JobProgress | null;
  /** The eval gate's decision (retrain). */
  gate: GateDecision | null;
  /** The release the job published, if any. */
  release: string | null;
  /** Why it failed, was cancelled or interrupted. */
  error: string | null;
  /** Times it was started (1 + resumes). */
  attempts: number;
  /** OS process id of the running job process (null when none runs). */
  pid: number | null;
  /** Exit of the last process: code or signal. */
  exit: { code: number | null; signal: string | null } | null;
  /** Whether jobs.resume may continue it. */
  resumable: boolean;
  /** Who triggered it (API key id). */
  triggeredBy: string | null;
}

/** One event of jobs.watch: a fresh copy of the record, and a log line when one came. */
export interface JobEvent {
  /** What changed. */
  type: "snapshot" | "state" | "stage" | "progress" | "log";
  /** The record after the change. */
  job: JobRecord;
  /** The log line, for type "log". */
  line?: string;
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
