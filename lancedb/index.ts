// The store layer: import tables, embeddings, and releases (publish, activate, rollback, gc, open,
// push to the edge). Node only: importing it loads @lancedb/lancedb, so the edge Worker never does
// (the edge's KV layout is core's, core/edge-layout.ts).
//
// Exports:
//   StoreError, StoreErrorCode                   the store's errors
//   openStore, storePath, allTableNames          a data directory's LanceDB connection; the shared
//     withSharedStore, storeConnectCount           one long-lived readers (pointer polls) reuse
//   isStoreUri, parseStoreUri, localDir,         s3://, az:// and gs:// data directories: the URI, the local
//     recordStoreUri, dataDirOf, readDataFile,     working folder (and the store it works for), the
//     writeDataFile, deleteDataFile,               small records beside the store (job records too)
//     listDataFiles, dataFilePath
//   createStoreContainer                         an az:// store's container, made (setup, tests)
//   IMPORT_MANIFEST, readImportManifest,         DIR/import.json, which every reader of the import
//     ImportManifest, ImportSummary, RowCounts     tables checks
//   defaultImageCacheDir, imageCacheLayout,      the import's image cache (ingest writes it, the API
//     ImageCacheLayout                             serves its originals)
//   putStoreImages, readStoreImage,              on a store URI, the originals under images/<key>
//     STORE_IMAGES_DIR, STORE_IMAGE_MAX_BYTES,     (every replica serves them)
//     StoreImagesResult
//   IMPORT_TABLES, TableWriter, CATALOG_SCHEMA,  the import tables `vitrine import` writes, their
//     CLICK_SCHEMA, JUDGMENT_SCHEMA,               schemas and rows
//     CatalogRow, ClickRow, JudgmentRow
//   readCatalog, readLoggedQueries,              the imported catalog and logged queries, read back
//     itemColumnsOf, CatalogColumns, LoggedQuery
//   EMBEDDINGS_TABLE, embeddingsSchema,          the `embeddings` table `vitrine embed` writes and
//     readEmbeddings, readEmbedState,              publish reads, and DIR/embed.json
//     writeEmbedState
//   arrow, tableOf, utf8Column, utf8ListColumn,  Arrow columns and tables as the store writes them
//     uint32Column, float32ListColumn,
//     vectorColumn, vectorType
//   publishRelease, PublishOptions,              publishing a release (hash or trained encoder)
//     PublishProgress, PublishStage,
//     publishTrainedModel, OnnxLoaders,
//     PublishTrainedOptions
//   listReleases, getActiveRelease,              the releases table and the active pointer
//     activateRelease, rollbackRelease,
//     gcReleases, GcOptions, GcResult
//   openRelease, ReleaseHandles,                 a published release, opened or loaded in memory
//     parseRetrieval, ReleaseRetrieval,
//     loadReleaseIndex, ReleaseIndex
//   searchItems, planVectorIndex,                the items table's vector index
//     buildVectorIndex, DEFAULT_EXACT_THRESHOLD,
//     VectorIndexPlan, VectorIndexKind, VectorIndexOptions
//   writeItemsTable, planScalarIndexes,          the building blocks of a release's tables (publish
//     buildScalarIndexes, assertIndexesComplete,   composes them; bench/ writes synthetic releases
//     ScalarIndexPlan, writeLexiconTable,          with them)
//     appendReleaseRow, writePointer, ReleaseRow,
//     QIDS_SCHEMA, RELEASE_TABLES, releaseTables,
//     releaseId, releaseNumber, ivfTable,
//     writeIvfTable, readIvfLayout                 (the IVF index stored with a release)
//   ivfWorkerPass, IvfWorkerOptions,             the IVF build's pass over every row on worker
//     IVF_WORKER_MIN_ROWS, IVF_WORKER_CHUNK_ROWS   threads (publish and load use it)
//   switchRelease, edgeToFollow, EdgeChoice,     activate / roll back with the edge following (CLI,
//     edgeForPublish, ReleaseAction,               REST, tRPC, jobs: the one home of a switch), and
//     SwitchResult                                 the edge a publish brings along
//   pushReleaseToEdge, edgeKvFromFlags,          pushing a release to Workers KV (`publish --edge`,
//     edgePlanFromFlags, EDGE_CREDENTIAL_VARS,     and the job's publish stage), with credentials
//     createCloudflareKv, KvClient, kvBatches,     from flags or the environment
//     KvBatch, EdgePushError
//   moveEdgePointer, readKvPointer, readKvMeta,  the edge's pointer in KV, and the store's record
//     readEdgeRecord, EdgeRecord                   of it
import "./quiet-log.ts"; // before LanceDB loads: its per-table WARN lines would bury progress bars
export { StoreError, type StoreErrorCode } from "./errors.ts";
export { openStore, storePath, allTableNames, withSharedStore, storeConnectCount } from "./connect.ts";
export { isStoreUri, parseStoreUri, localDir, recordStoreUri, dataDirOf } from "./store-location.ts";
export { readDataFile, writeDataFile, deleteDataFile, listDataFiles, dataFilePath } from "./data-files.ts";
export { createStoreContainer } from "./azure-objects.ts";
export { IMPORT_MANIFEST, readImportManifest, type ImportManifest, type ImportSummary, type RowCounts } from "./import-manifest.ts";
export { defaultImageCacheDir, imageCacheLayout, type ImageCacheLayout } from "./image-cache.ts";
export { putStoreImages, readStoreImage, STORE_IMAGES_DIR, STORE_IMAGE_MAX_BYTES, type StoreImagesResult } from "./store-images.ts";
export {
  IMPORT_TABLES,
  TableWriter,
  CATALOG_SCHEMA,
  CLICK_SCHEMA,
  JUDGMENT_SCHEMA,
  type CatalogRow,
  type ClickRow,
  type JudgmentRow,
} from "./import-tables.ts";
export { readCatalog, readLoggedQueries, itemColumnsOf, type CatalogColumns, type LoggedQuery } from "./catalog-source.ts";
export { EMBEDDINGS_TABLE, embeddingsSchema, readEmbeddings, readEmbedState, writeEmbedState } from "./embeddings.ts";
export { arrow, tableOf, utf8Column, utf8ListColumn, uint32Column, float32ListColumn, vectorColumn, vectorType } from "./arrow.ts";
export { publishRelease, type PublishOptions, type PublishProgress, type PublishStage } from "./publish.ts";
export { publishTrainedModel, type OnnxLoaders, type PublishTrainedOptions } from "./publish-trained.ts";
export { listReleases, getActiveRelease, activateRelease, rollbackRelease } from "./release-ops.ts";
export { gcReleases, type GcOptions, type GcResult } from "./gc.ts";
export { openRelease, type ReleaseHandles } from "./open-release.ts";
export { parseRetrieval, type ReleaseRetrieval } from "./release-retrieval.ts";
export { loadReleaseIndex, type LoadReleaseOptions, type ReleaseIndex } from "./release-index.ts";
export {
  searchItems,
  planVectorIndex,
  buildVectorIndex,
  DEFAULT_EXACT_THRESHOLD,
  type VectorIndexPlan,
  type VectorIndexKind,
  type VectorIndexOptions,
} from "./vector-index.ts";
export { writeItemsTable, planScalarIndexes, buildScalarIndexes, assertIndexesComplete, type ScalarIndexPlan } from "./items-table.ts";
export { writeLexiconTable } from "./lexicon-table.ts";
export { appendReleaseRow, writePointer, type ReleaseRow } from "./release-registry.ts";
export { QIDS_SCHEMA, RELEASE_TABLES } from "./release-schemas.ts";
export { releaseTables, releaseId, releaseNumber, ivfTable } from "./release-names.ts";
export { writeIvfTable, readIvfLayout } from "./ivf-table.ts";
export { ivfWorkerPass, IVF_WORKER_MIN_ROWS, IVF_WORKER_CHUNK_ROWS, type IvfWorkerOptions } from "./ivf-workers.ts";
export { switchRelease, edgeToFollow, edgeForPublish, type EdgeChoice, type ReleaseAction, type SwitchResult } from "./release-switch.ts";
export { pushReleaseToEdge } from "./edge-push.ts";
export { edgePlanFromFlags } from "./edge-cli.ts";
export { edgeKvFromFlags, EDGE_CREDENTIAL_VARS } from "./edge-credentials.ts";
export { createCloudflareKv, kvBatches, EdgePushError, type KvBatch, type KvClient } from "./edge-kv-http.ts";
export { moveEdgePointer, readKvPointer, readKvMeta } from "./edge-pointer.ts";
export { readEdgeRecord, type EdgeRecord } from "./edge-record.ts";
export { withWriterLease, readWriterLease, writerLeasePath, holdJobsLease, type LeaseHolder } from "./writer-lease.ts";
export {
  mergeEmbedShards,
  embedShardTable,
  shardRange,
  readShardState,
  writeShardState,
  type ShardSpec,
  type EmbedShardState,
  type MergeResult,
} from "./embed-shards.ts";
