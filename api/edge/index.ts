// The edge: the app on Cloudflare Workers, answering qid hits from Workers KV (DESIGN §6). The
// Worker's entry is worker.ts (wrangler.toml's `main`), which builds it from these exports; tests
// run wrangler's bundle of that entry rather than importing this file.
//
// Exports:
//   createEdgeHandler, EdgeHandler, EdgeHandlerOptions       the app over KV, forwarding the rest
//   createEdgeStore, EdgeStore, EdgeStoreOptions,            pointer, qid lists and lexicon from KV
//     KvNamespaceReader
//   answerFromKv                                             the origin's qid path, on KV data
//   parseEdgeConfig, consoleLogger, EdgeConfig, EdgeEnv      the Worker's env, parsed; its logger
export { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions } from "./edge-handler.ts";
export { createEdgeStore, type EdgeStore, type EdgeStoreOptions, type KvNamespaceReader } from "./kv-store.ts";
export { answerFromKv } from "./answer.ts";
export { parseEdgeConfig, consoleLogger, type EdgeConfig, type EdgeEnv } from "./edge-config.ts";
