// Runtime-agnostic core: no Node APIs, imported by every other part and importing none of them.
export { CodedError, CoreError, EXIT_CODES, exitCodeOf, type CoreErrorCode, type ErrorKind } from "./errors.ts";
export { normalize } from "./normalize.ts";
export { segment, needsDictionary } from "./segment.ts";
export { murmur3 } from "./murmur3.ts";
// Seeded random streams (datasets, sampling, training): reproducible from a seed and a label.
export { createRng, stream, mix32, mulberry32, weightedIndexSampler, type Rng } from "./rng.ts";
export { queryId, canonicalTerms, type QueryId } from "./qid.ts";
export { pairHeldOut, rowHeldOut, timeCutoff, tuningPair, SPLIT_MODES, type SplitMode } from "./holdout.ts";
export { LIMITS, ATTRIBUTE_KEY } from "./limits.ts";
// A FIFO counting semaphore: bounded concurrency (image fetches at import, image work in the API).
export { Semaphore } from "./semaphore.ts";
export * from "./schemas.ts";
export * from "./filter-schema.ts";
export { filterToSql, sqlString, type SqlOptions } from "./filter-sql.ts";
export { filterToPredicate, type FilterableItem } from "./filter-predicate.ts";
export { zodIssues, formatIssues, parseOrThrow, type FieldIssue } from "./zod-error.ts";
export { buildLexicon, understandQuery, constraintsFilter, andFilters, countLexiconValues, byCount, type Lexicon, type LexiconEntry, type LexiconValues, type QueryConstraint } from "./lexicon.ts";
export type { TextEmbedder } from "./encoder.ts";
export { createHashEncoder, HASH_ENCODER_NAME, type HashEncoder, type HashEncoderOptions } from "./hash-encoder.ts";
// Retrieval: candidate rows from filters, the exact top-K over them, the lexical (BM25) channel,
// fusion with the vector channel, the one retrieve algorithm, and the blend fitted per release.
export { matchingRows, estimateMatches, nodeCount, type FilterColumns } from "./candidates.ts";
export { filterBitmap, bitmapRows, bitmapCount, hasRow, filterColumnIndex, postingsOf, type FilterColumnIndex, type FilterSourceColumns } from "./filter-bitmap.ts";
// SIMD scans (wasm) over item vectors and the in-memory IVF index built on them (serving at scale).
export { VectorKernel, vectorKernelFor, vectorKernelModule, kernelSupported, type VectorKernelOptions } from "./simd/vector-kernel.ts";
export {
  IvfIndex,
  buildIvfIndex,
  restoreIvfIndex,
  oneThreadRowPass,
  ivfLayoutOf,
  ivfListsFor,
  IVF_PROBE,
  IVF_MATCH_FACTOR,
  IVF_POOL_FACTOR,
  type IvfBuildOptions,
  type IvfRestoreOptions,
  type IvfRowPass,
  type IvfLayout,
  type IvfSearchOptions,
} from "./simd/ivf-index.ts";
export { dot, exactTopK, exactTopKBatch, TopKHeap, type RowScore, type TopKBatch, type TopKBatchOptions } from "./top-k.ts";
export { LexicalIndex, lexicalTerms, lexicalDocTerms, yieldToEventLoop, type LexicalDoc, type Bm25Options, type LexicalHit, type LexicalSearchOptions } from "./lexical-index.ts";
export { fuse, parseBlend, parseBlendSpec, blendLabel, BLEND_SPEC_HELP, BLEND_GRID, RRF_K, type Blend, type BlendMethod, type ScoredRow, type FusedRow } from "./fusion.ts";
export {
  runRetrieve,
  liveSearch,
  liveSearchBatch,
  liveChannels,
  vectorChannel,
  LIVE_DEPTH,
  RELAX_ORDER,
  type SearchIndex,
  type QidList,
  type EngineRequest,
  type EngineOptions,
  type EngineHit,
  type EngineResult,
} from "./retrieve-engine.ts";
export { runSimilar, type EngineSimilarRequest, type EngineSimilarResult } from "./similar.ts";
// Facet counts over a retrieve's candidate window.
export { countFacets, priceBuckets, niceStep, FACET_WINDOW, FACET_VALUES, type Facets, type FacetItem, type FacetValue, type TextFacet, type PriceFacet, type PriceBucket } from "./facets.ts";
export type { ItemRecord, ReleaseInfo } from "./release-info.ts";
export { buildSearchIndex, lexicalDocsOf, qidListsFromMap, VECTOR_ONLY_BLEND, type ItemColumns, type SearchIndexOptions } from "./search-index.ts";
export { fitBlend, precomputeQidLists, DEFAULT_BLEND, MIN_TUNING_QUERIES, PRIOR_GRID, type BlendFit, type BlendGridPoint, type PriorGridPoint, type TuningQuery } from "./blend-fit.ts";
// The popularity prior: each item's training clicks as one value in [0, 1].
export { popularityOf } from "./popularity.ts";
// Offline metrics (seed 001 §4.1, seed 003): Recall/HitRate@K, NDCG@10, relevance, category consistency.
export * from "./metrics.ts";
// The Workers KV layout of a release pushed to the edge: written by lancedb, read by api/edge.
export {
  EDGE_FORMAT,
  EDGE_ACTIVE_KEY,
  edgeReleasePrefix,
  edgeQidKey,
  edgeLexiconKey,
  edgeMetaKey,
  parseEdgeValue,
  type EdgeItem,
  type EdgeQidValue,
  type EdgeLexiconValue,
  type EdgeReleaseMeta,
  type EdgePointer,
} from "./edge-layout.ts";
