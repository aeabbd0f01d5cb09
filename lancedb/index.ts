// The store layer: import tables, and releases (publish, activate, rollback, gc, open). Node only.
export { StoreError, type StoreErrorCode } from "./errors.ts";
export { openStore, storePath, allTableNames } from "./connect.ts";
export { publishRelease, type PublishOptions, type PublishProgress, type PublishStage } from "./publish.ts";
export { publishTrainedModel, type OnnxLoaders, type PublishTrainedOptions } from "./publish-trained.ts";
export { listReleases, getActiveRelease, activateRelease, rollbackRelease } from "./release-ops.ts";
export { gcReleases, type GcOptions, type GcResult } from "./gc.ts";
export { openRelease, type ReleaseHandles } from "./open-release.ts";
export { parseRetrieval, type ReleaseRetrieval } from "./release-retrieval.ts";
export { loadReleaseIndex, type ReleaseIndex } from "./release-index.ts";
export { searchItems, planVectorIndex, DEFAULT_EXACT_THRESHOLD, type VectorIndexPlan, type VectorIndexKind, type VectorIndexOptions } from "./vector-index.ts";
export type { ScalarIndexPlan } from "./items-table.ts";
export { releaseTables, releaseId, releaseNumber } from "./release-names.ts";
export { RELEASE_TABLES } from "./release-schemas.ts";
