// The SDK's public data types, derived from the server's AppRouter (api/http/router.ts): each is a path
// into a procedure's input or output, so the server's contract is their one home. sdk/build.mjs
// writes them out in full into the published .d.ts (with the server's doc comments on each field),
// so an app type-checks without the server's source, zod or tRPC, and checks that what it wrote
// is exactly these types. The job types are in sdk/job-types.ts. Only the filter shorthand is
// written out here: the server types `filters` as unknown (its schema validates at run time).
import type { inferProcedureInput, inferProcedureOutput, inferRouterError } from "@trpc/server";
import type { AppRouter } from "../api/http/index.ts";

type RetrieveInput = inferProcedureInput<AppRouter["retrieve"]>;
type SimilarInput = inferProcedureInput<AppRouter["similar"]>;

// ── Filters ─────────────────────────────────────────────────────────────────────────────────

/** The filter expression tree: `{ op: "and", filters: [{ op: "eq", field: "brand", value: "Acme" }, ...] }`. */
export type FilterExpr = NonNullable<RetrieveResult["constraints"]["applied"]>;

/** A field a filter may test: a column of the store or one item attribute. */
export type FilterField = Extract<FilterExpr, { field: unknown }>["field"];

/** A value a filter compares with: strings for text fields, numbers for price. */
export type FilterValue = Extract<FilterExpr, { op: "eq" }>["value"];

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
export type ReleaseOption = Pick<RetrieveInput, "release">;

/** Options of retrieve: everything but the query. */
export type RetrieveOptions = Omit<RetrieveInput, "query" | "filters"> & {
  /** Hard constraints, ANDed with those query understanding derives from the query text. */
  filters?: Filters | undefined;
};

/** One query of retrieveMany: the query and retrieve's options. */
export type RetrieveRequest = RetrieveOptions & Pick<RetrieveInput, "query">;

/** The answer of retrieve: a page of the query's ranking (with nextCursor while there is a next page in the window) and, when asked, facet counts. */
export type RetrieveResult = inferProcedureOutput<AppRouter["retrieve"]>;

/** Facet counts over the ranking's first 200 items. */
export type Facets = NonNullable<RetrieveResult["facets"]>;

/** A facet field retrieve can count. */
export type FacetField = NonNullable<RetrieveInput["facets"]>[number];

/** Options of similar: everything but the item id. */
export type SimilarOptions = Omit<SimilarInput, "id" | "filters"> & {
  /** Hard constraints on the neighbours, as retrieve's filters. */
  filters?: Filters | undefined;
};

/** The answer of similar: the item's neighbours, best first. */
export type SimilarResult = inferProcedureOutput<AppRouter["similar"]>;

/** One retrieved item. */
export type RetrievedItem = RetrieveResult["items"][number];

/** A constraint query understanding derived from the query text. */
export type DerivedConstraint = RetrieveResult["constraints"]["fromQuery"][number];

/** A blend of the vector and lexical channels. */
export type Blend = NonNullable<RetrieveResult["blend"]>;

/** How the two channels' scores are combined. */
export type BlendMethod = Blend["method"];

/** The answer of lookup: what a query maps to. */
export type LookupResult = inferProcedureOutput<AppRouter["lookup"]>;

/** A stored item record. */
export type ItemRecord = inferProcedureOutput<AppRouter["items"]["get"]>["items"][number];

/** A published release. */
export type ReleaseInfo = inferProcedureOutput<AppRouter["releases"]["activate"]>;

/** Liveness and the active release. */
export type Health = inferProcedureOutput<AppRouter["health"]>;

// ── Errors ──────────────────────────────────────────────────────────────────────────────────

/** The `data` of the server's errors (code, httpStatus, issues, requestId, retryAfter). */
export type ErrorData = inferRouterError<AppRouter>["data"];

/** A code the API puts in its errors (VitrineError.code adds NETWORK_ERROR and BAD_RESPONSE). */
export type ApiErrorCode = ErrorData["code"];

/** One field problem of a validation error. */
export type FieldIssueData = NonNullable<ErrorData["issues"]>[number];
