// The HTTP layer: the Hono app (tRPC + REST + OpenAPI), auth, rate limit, errors, server config.
// Runtime-agnostic — no node:, pino or prom-client (http/portability.test.ts) — so both runtimes
// build on this one entry: api/node (serveNode) and api/edge (the Worker).
//
// Exports:
//   createApp, AppOptions, AppEnv           the app factory and its Hono environment
//   appRequirement                          what a request needs (public/read/admin) from method + path
//   AppRouter                               the tRPC router's type (the SDK's one `import type`)
//   ApiError, ApiErrorCode, ErrorBody,      the error vocabulary: code → status, REST body shape,
//     ERROR_STATUS, toApiError,             tRPC code and JSON-RPC code
//     trpcCodeFor, JSONRPC_CODE
//   createAuthenticator, ApiKey, Role       API keys
//   createRateLimiter, RateDecision,        token buckets (per key, per client address) and their
//     RateLimitOptions                        settings (the edge's Durable Object holds them too)
//   retrieveCost, RETRIEVE_COST, filterSize what a call costs its key's limit, in tokens
//   clientAddressOf, addressBucket          the client address the unauthenticated limit counts
//   createRedactor, PathAlias, Redactor     server paths rewritten out of responses
//   isClientAbort                           whether an error is the client going away (→ 499)
//   assertInputDepth, MAX_INPUT_DEPTH,      the nesting guard run before schema validation, and
//     assertJsonValueCount, MAX_JSON_VALUES the value count checked before JSON.parse
//   AppLogger, MetricsRecorder,             what the app needs from logging and metrics, and
//     RequestSample, MetricsText,           the do-nothing defaults
//     silentLogger, noopMetrics
//   parseConfig, ConfigError,               server configuration from env + file (Node and Worker)
//     ServerConfig, ServerConfigSchema,
//     normalizeOrigin
//   ImageStore, ImageEntry, ImageSize,      what GET /v1/images/:id serves from (the Node image
//     IMAGE_SIZES, imagePath                  store implements it) and where an item's image lives
//   UiFiles, UiFile                         the playground's and docs UI's static files
export { appRequirement, createApp, isClientAbort, type AppOptions } from "./app.ts";
export type { AppEnv } from "./app-env.ts";
export type { AppRouter } from "./router.ts";
export { ApiError, ERROR_STATUS, JSONRPC_CODE, toApiError, trpcCodeFor, type ApiErrorCode, type ErrorBody } from "./errors.ts";
export { createAuthenticator, type ApiKey, type Role } from "./auth.ts";
export { createRateLimiter, type RateDecision, type RateLimitOptions } from "./rate-limit.ts";
export { filterSize, RETRIEVE_COST, retrieveCost } from "./request-cost.ts";
export { addressBucket, clientAddressOf } from "./client-address.ts";
export { createRedactor, type PathAlias, type Redactor } from "./redact.ts";
export { assertInputDepth, assertJsonValueCount, MAX_INPUT_DEPTH, MAX_JSON_VALUES } from "./input-guard.ts";
export { noopMetrics, silentLogger, type AppLogger, type MetricsRecorder, type MetricsText, type RequestSample } from "./telemetry.ts";
export { ConfigError, normalizeOrigin, parseConfig, perWorkerConfig, ServerConfigSchema, type ServerConfig } from "./config.ts";
export { IMAGE_SIZES, imagePath, type ImageEntry, type ImageSize, type ImageStore } from "./images.ts";
export type { UiFile, UiFiles } from "./ui.ts";
