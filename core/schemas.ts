import { z } from "zod";
import { ATTRIBUTE_KEY, LIMITS } from "./limits.ts";
import { FilterSchema } from "./filter-schema.ts";

const text = (field: string, max: number) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? `${field} is missing` : `${field} must be a string, got ${typeof iss.input}`) })
    .max(max, { error: `${field} is longer than ${max} characters; shorten it` });

/** One catalog item as the user brings it (DESIGN §2). */
export const ItemSchema = z.object({
  id: text("id", LIMITS.idLength).refine((v) => v.trim().length > 0, { error: "id is empty; every item needs a unique id" }),
  title: text("title", LIMITS.titleLength).refine((v) => v.trim().length > 0, { error: "title is empty; every item needs a title" }),
  image: text("image", LIMITS.imageLength).optional(),
  brand: text("brand", LIMITS.brandLength).optional(),
  category: text("category", LIMITS.categoryLength).optional(),
  price: z
    .number({ error: "price must be a number (e.g. 19.99)" })
    .refine((v) => Number.isFinite(v), { error: "price must be a finite number" })
    .refine((v) => v >= 0, { error: "price is negative; prices must be ≥ 0" })
    .optional(),
  attributes: z
    .record(
      z.string().regex(ATTRIBUTE_KEY, { error: "attribute keys must be lower-case letters, digits and _ (start with a letter, ≤ 64 chars)" }),
      text("attribute value", LIMITS.attributeValueLength),
    )
    .refine((r) => Object.keys(r).length <= LIMITS.attributeCount, { error: `at most ${LIMITS.attributeCount} attributes per item` })
    .optional(),
});
export type Item = z.infer<typeof ItemSchema>;

/** One click-log row: a query and the item it led to. */
export const ClickSchema = z.object({
  query: text("query", LIMITS.queryLength).refine((v) => v.trim().length > 0, { error: "query is empty" }),
  item_id: text("item_id", LIMITS.idLength).refine((v) => v.trim().length > 0, { error: "item_id is empty" }),
  clicks: z.int({ error: "clicks must be a whole number ≥ 1" }).min(1, { error: "clicks must be ≥ 1" }).default(1),
  purchases: z.int({ error: "purchases must be a whole number ≥ 0" }).min(0, { error: "purchases must be ≥ 0" }).optional(),
  ts: z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "ts must be an ISO date or date-time, e.g. 2026-03-01T12:00:00Z" }).optional(),
});
export type Click = z.infer<typeof ClickSchema>;

/** A graded relevance judgment for evaluation. */
export const JudgmentSchema = z.object({
  query: text("query", LIMITS.queryLength),
  item_id: text("item_id", LIMITS.idLength),
  grade: z.number({ error: "grade must be a number" }).min(0, { error: "grade must be ≥ 0" }),
});
export type Judgment = z.infer<typeof JudgmentSchema>;

/** The fields facet counts can be asked for (core/facets.ts). */
export const FACET_FIELDS = ["brand", "category", "price"] as const;
export type FacetField = (typeof FACET_FIELDS)[number];

/** Fields of a retrieve request, for the unknown-field message. */
const RETRIEVE_FIELDS = "query, k, offset, cursor, filters, facets, release, understand, relax";

/** A retrieve request as the API and SDK take it. Unknown fields are refused by name (a misspelt option is never silently ignored). */
export const RetrieveRequestSchema = z.strictObject(
  {
    /** The user's search text. */
    query: text("query", LIMITS.queryLength).refine((v) => v.trim().length > 0, { error: "query is empty; send the user's search text" }),
    /** How many items (default 50): the page size. */
    k: z
      .int({ error: "k must be a whole number" })
      .min(1, { error: "k must be ≥ 1" })
      .max(LIMITS.maxK, { error: `k must be ≤ ${LIMITS.maxK}` })
      .default(50),
    /** Items of the ranking to skip (default 0): the page is items [offset, offset + k) of one ranking; offset + k may not pass the server's result window (default 1000). */
    offset: z
      .int({ error: "offset must be a whole number" })
      .min(0, { error: "offset must be ≥ 0" })
      .max(LIMITS.maxWindow, { error: `offset must be ≤ ${LIMITS.maxWindow}` })
      .optional(),
    /** The `nextCursor` of the previous page (opaque): the next page of the same query, filters and release. Not with offset. */
    cursor: z
      .string({ error: "cursor must be the string a previous answer's nextCursor held" })
      .min(1, { error: "cursor is empty; leave it out for the first page" })
      .max(LIMITS.cursorLength, { error: `cursor is longer than ${LIMITS.cursorLength} characters; send nextCursor exactly as received` })
      .optional(),
    /** Hard constraints (the expression tree or the shorthand), ANDed with those query understanding derives from the query text. */
    filters: FilterSchema.optional(),
    /** Facet counts to return (brand, category, price buckets), counted over the ranking's first 200 items. */
    facets: z
      .array(z.enum(FACET_FIELDS, { error: `facets are ${FACET_FIELDS.join(", ")}` }), { error: `facets must be a list, e.g. ["brand", "category", "price"]` })
      .max(FACET_FIELDS.length, { error: `at most ${FACET_FIELDS.length} facets` })
      .refine((f) => new Set(f).size === f.length, { error: "facets lists a field twice" })
      .optional(),
    /** Release id such as r002 (default: the active release). */
    release: z
      .string()
      .regex(/^r\d{3,}$/, { error: "release must look like r001" })
      .optional(),
    /** Derive brand/category constraints from the query text (query understanding; default true, false skips it). */
    understand: z.boolean().default(true),
    /** When constraints derived from the query leave fewer than k items, relax them (category, then brand) and mark what came from relaxing; false keeps them hard. */
    relax: z.boolean().default(true),
  },
  {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? iss.keys.includes("page")
          ? `there is no page field: ask for offset = (page − 1) × k, or send the previous answer's nextCursor as cursor (retrieve takes ${RETRIEVE_FIELDS})`
          : `retrieve takes ${RETRIEVE_FIELDS}`
        : undefined,
  },
);
export type RetrieveRequest = z.infer<typeof RetrieveRequestSchema>;
export type RetrieveRequestInput = z.input<typeof RetrieveRequestSchema>;

/** A similar-items request: the neighbours of one item in the release's item-embedding space. */
export const SimilarRequestSchema = z.strictObject(
  {
    /** Catalog id of the item. */
    id: text("id", LIMITS.idLength).refine((v) => v.length > 0, { error: "id is empty; send the catalog id of an item" }),
    /** How many items (default 10). */
    k: RetrieveRequestSchema.shape.k.removeDefault().default(10),
    /** Hard constraints on the neighbours (the expression tree or the shorthand), exactly as retrieve's filters. */
    filters: FilterSchema.optional(),
    /** Release id such as r002 (default: the active release). */
    release: RetrieveRequestSchema.shape.release,
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? "similar takes id, k, filters, release" : undefined) },
);
export type SimilarRequest = z.infer<typeof SimilarRequestSchema>;
export type SimilarRequestInput = z.input<typeof SimilarRequestSchema>;
