// The retrieval service: the LanceDB-backed implementation of the RetrievalService contract.
export { createRetrievalService, type RetrievalServiceOptions } from "./retrieval-service.ts";
export * from "./types.ts";
