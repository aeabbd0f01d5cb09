// The retrieval service: the LanceDB-backed implementation of the RetrievalService contract.
// Node only (LanceDB, ONNX Runtime). The portable layers (api/http, api/edge) import the contract
// file, types.ts, instead of this entry, so the Worker never bundles the store.
//
// Exports:
//   createRetrievalService, RetrievalServiceOptions,  open the service on a data directory
//     LoadedRetrievalService                          (api/cli.ts loads this file by URL); its
//                                                     releaseIndex() for in-process benches
//   annSearch, SearchOptions                          the vector channel alone (bench/retrieve.ts)
//   createImageStore, ImageStoreOptions,              GET /v1/images/:id from the import's image cache
//     NodeImageStore                                  (api/cli.ts loads it with the service)
//   types.ts, the contract: RetrievalService, ServiceError, ServiceErrorCode, RetrieveResult,
//     RetrievedItem, DerivedConstraint, LookupResult, ItemRecord, ReleaseInfo
export { createRetrievalService, type LoadedRetrievalService, type RetrievalServiceOptions } from "./retrieval-service.ts";
export { annSearch, type SearchOptions } from "./retrieve.ts";
export { createImageStore, type ImageStoreOptions, type NodeImageStore } from "./image-store.ts";
export * from "./types.ts";
