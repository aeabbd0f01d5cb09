// The edge: the app on Cloudflare Workers, answering qid hits from Workers KV (DESIGN §6).
export { createEdgeHandler, type EdgeHandler, type EdgeHandlerOptions } from "./edge-handler.ts";
export { createEdgeStore, type EdgeStore, type EdgeStoreOptions, type KvNamespaceReader } from "./kv-store.ts";
export { answerFromKv } from "./answer.ts";
export { parseEdgeConfig, consoleLogger, type EdgeConfig, type EdgeEnv } from "./edge-config.ts";
