// The edge: the app on Cloudflare Workers, answering qid hits from Workers KV (DESIGN §6). The
// Worker's entries are worker.ts (wrangler.toml's `main`, with jieba's dictionary) and
// worker-lite.ts (without it), both built on createWorker; tests run wrangler's bundle of an entry
// rather than importing this file.
//
// Exports:
//   createEdgeHandler, EdgeHandler, EdgeHandlerOptions       the app over KV, forwarding the rest
//   createEdgeStore, EdgeStore, EdgeStoreOptions,            pointer, qid lists and lexicon from KV
//     KvNamespaceReader
//   answerFromKv                                             the origin's qid path, on KV data
//   parseEdgeConfig, consoleLogger, EdgeConfig, EdgeEnv      the Worker's env, parsed; its logger
//   createSharedRateLimiter, EdgeRateLimiter,                the per-key limit across isolates (a
//     SharedRateLimiter, DurableObjectNamespaceLike            Durable Object) and its client
//   createWorker, WorkerOptions                              the Worker's fetch handler (both entries)
export { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions } from "./edge-handler.ts";
export { createEdgeStore, type EdgeStore, type EdgeStoreOptions, type KvNamespaceReader } from "./kv-store.ts";
export { answerFromKv } from "./answer.ts";
export { parseEdgeConfig, consoleLogger, type EdgeConfig, type EdgeEnv } from "./edge-config.ts";
export { createSharedRateLimiter, EdgeRateLimiter, type SharedRateLimiter, type DurableObjectNamespaceLike } from "./shared-rate-limit.ts";
export { createWorker, type WorkerOptions } from "./worker-entry.ts";
