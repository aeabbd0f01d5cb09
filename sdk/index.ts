// The Vitrine SDK: a typed client for the Vitrine API (tRPC over HTTP; the router type is used at build time only).
export { createClient, MAX_RETRIEVE_MANY, type ClientOptions, type RetrieveManyResult, type VitrineClient } from "./client.ts";
export { VitrineError } from "./errors.ts";
export type * from "./types.ts";
export type * from "./job-types.ts";
