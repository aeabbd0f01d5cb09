// Runtime-agnostic core: no Node APIs, imported by every other part and importing none of them.
export { CoreError, type CoreErrorCode } from "./errors.ts";
export { normalize } from "./normalize.ts";
export { segment } from "./segment.ts";
export { murmur3 } from "./murmur3.ts";
export { queryId, canonicalTerms, type QueryId } from "./qid.ts";
export { LIMITS, ATTRIBUTE_KEY } from "./limits.ts";
export * from "./schemas.ts";
export * from "./filter-schema.ts";
export { filterToSql, sqlString, type SqlOptions } from "./filter-sql.ts";
export { filterToPredicate, type FilterableItem } from "./filter-predicate.ts";
export { zodIssues, formatIssues, parseOrThrow, type FieldIssue } from "./zod-error.ts";
export { buildLexicon, understandQuery, andFilters, type Lexicon, type QueryConstraint } from "./lexicon.ts";
export type { TextEncoder } from "./encoder.ts";
export { createHashEncoder, HASH_ENCODER_NAME, type HashEncoder, type HashEncoderOptions } from "./hash-encoder.ts";
