// Zod schemas of the API's inputs and outputs beyond core's RetrieveRequestSchema. Inputs are
// validated with them (tRPC and REST alike); outputs only document the API (OpenAPI) and are
// checked against the service contract's types at compile time below.
import { z } from "zod";
import { FilterExprSchema, LIMITS, RetrieveRequestSchema } from "../../core/index.ts";
import type { ItemRecord, LookupResult, ReleaseInfo, RetrieveResult, SimilarResult } from "../service/types.ts";
import type { ErrorBody } from "./errors.ts";

/** Most ids one items.get call takes. */
export const MAX_ITEM_IDS = 1_000;

/** A release id such as r001 (the same rule as RetrieveRequest.release). */
export const ReleaseIdSchema = RetrieveRequestSchema.shape.release.unwrap();

/** Input of lookup: a query and optionally the release to look it up in. */
export const LookupInputSchema = z.object({
  query: RetrieveRequestSchema.shape.query,
  release: ReleaseIdSchema.optional(),
});

const itemId = z
  .string({ error: "each id must be a string" })
  .min(1, { error: "ids must not be empty strings" })
  .max(LIMITS.idLength, { error: `ids are at most ${LIMITS.idLength} characters` });

/** Input of items.get: up to MAX_ITEM_IDS ids, answered in the order asked. */
export const ItemsGetInputSchema = z.object({
  ids: z
    .array(itemId, { error: "ids must be a list of item ids" })
    .min(1, { error: "ids is empty; ask for at least one id" })
    .max(MAX_ITEM_IDS, { error: `at most ${MAX_ITEM_IDS} ids per call; split the list` }),
  release: ReleaseIdSchema.optional(),
});

/** `edge` of a release switch: a boolean (tRPC, JSON) or "true"/"false" (a REST query parameter). */
const EdgeOptionSchema = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], { error: "edge must be true or false" }).optional();

/** Input of releases.activate. */
export const ActivateInputSchema = z.object({ release: ReleaseIdSchema, edge: EdgeOptionSchema });

/** Input of releases.rollback. */
export const RollbackInputSchema = z.object({ edge: EdgeOptionSchema });

const BlendSchema = z.object({
  method: z.enum(["convex", "rrf"]),
  weight: z.number(),
  rrfK: z.number().optional(),
  prior: z.number().optional().describe("weight of the items' popularity prior (their training clicks), absent when 0"),
});

/** An item's image as answers carry it (api/http/images.ts). */
const ImageUrlSchema = z.string().nullable().describe("absolute URL of the item's image, GET /v1/images/{id} (append ?size=thumb for a thumbnail); null when it has none");

const RetrievedItemSchema = z.object({
  id: z.string(),
  score: z.number(),
  title: z.string(),
  brand: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number().nullable(),
  image: ImageUrlSchema,
  source: z.enum(["qid", "ann"]),
  channels: z.object({ vector: z.number().nullable(), lexical: z.number().nullable() }).optional(),
  relaxed: z.literal(true).optional(),
});

const ConstraintSchema = z.object({ field: z.enum(["brand", "category"]), value: z.string(), term: z.string() });

const TextFacetSchema = z.object({
  values: z.array(z.object({ value: z.string(), count: z.number().int() })),
  other: z.number().int(),
  missing: z.number().int(),
});

/** Facet counts over the ranking's first 200 items. */
export const FacetsSchema = z.object({
  counted: z.number().int(),
  brand: TextFacetSchema.optional(),
  category: TextFacetSchema.optional(),
  price: z.object({ buckets: z.array(z.object({ gte: z.number(), lt: z.number(), count: z.number().int() })), missing: z.number().int() }).optional(),
});

/** Output of retrieve. */
export const RetrieveResultSchema = z.object({
  items: z.array(RetrievedItemSchema),
  offset: z.number().int(),
  more: z.boolean(),
  nextCursor: z.string().optional(),
  facets: FacetsSchema.optional(),
  path: z.enum(["qid", "ann", "qid+ann"]),
  release: z.string(),
  qid: z.number().int(),
  terms: z.string(),
  constraints: z.object({
    fromQuery: z.array(ConstraintSchema),
    fromCaller: FilterExprSchema.nullable(),
    applied: FilterExprSchema.nullable(),
    relaxed: z.array(ConstraintSchema),
  }),
  channels: z.array(z.enum(["vector", "lexical"])),
  blend: BlendSchema.optional(),
  timings: z.record(z.string(), z.number()),
});

/** Output of similar. */
export const SimilarResultSchema = z.object({
  id: z.string(),
  items: z.array(RetrievedItemSchema),
  release: z.string(),
  filters: FilterExprSchema.nullable(),
  timings: z.record(z.string(), z.number()),
});

/** Output of lookup. */
export const LookupResultSchema = z.object({
  qid: z.number().int(),
  terms: z.string(),
  hit: z.boolean(),
  listLength: z.number().int(),
  release: z.string(),
});

const ItemRecordSchema = z.object({
  id: z.string(),
  title: z.string(),
  brand: z.string().nullable(),
  category: z.string().nullable(),
  price: z.number().nullable(),
  image: ImageUrlSchema,
  attributes: z.record(z.string(), z.string()),
  textOnly: z.boolean(),
});

/** Output of items.get. */
export const ItemsResultSchema = z.object({ items: z.array(ItemRecordSchema) });

/** One release. */
export const ReleaseInfoSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  active: z.boolean(),
  items: z.number().int(),
  qids: z.number().int(),
  index: z.object({ kind: z.enum(["exact", "ivf_pq", "ivf_hnsw_sq"]), params: z.record(z.string(), z.union([z.number(), z.string()])) }),
  model: z.string(),
  dim: z.number().int(),
  retrieval: z.object({ lexical: z.boolean(), blend: BlendSchema }),
  edge: z.enum(["serving", "pushed"]).optional(),
});

/** Output of releases.list. */
export const ReleasesResultSchema = z.object({ releases: z.array(ReleaseInfoSchema) });

/** Output of health. */
export const HealthSchema = z.object({ ok: z.boolean(), release: z.string().nullable() });

/** The body of every REST error. */
export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string(),
  }),
});

// Compile-time guard: the documented outputs must be exactly the service contract's types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _OutputsMatchContract = [
  Assert<Same<z.output<typeof RetrieveResultSchema>, RetrieveResult>>,
  Assert<Same<z.output<typeof SimilarResultSchema>, SimilarResult>>,
  Assert<Same<z.output<typeof LookupResultSchema>, LookupResult>>,
  Assert<Same<z.output<typeof ItemsResultSchema>["items"][number], ItemRecord>>,
  Assert<Same<z.output<typeof ReleaseInfoSchema>, ReleaseInfo>>,
  Assert<Same<z.output<typeof ErrorResponseSchema>["error"]["code"], string>>,
  Assert<Same<keyof z.output<typeof ErrorResponseSchema>["error"], keyof ErrorBody>>,
];
