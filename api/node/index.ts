// The app on Node: @hono/node-server, pino and prom-client around the runtime-agnostic app of
// api/http. Kept out of api/http so that the Worker, which builds on api/http, never bundles them.
//
// Exports:
//   serveNode, ServeNodeOptions, NodeServer   listen, log one JSON line per request, close
//   serverPathAliases                          the server paths kept out of responses
//   createPromMetrics, PromMetricsOptions      prom-client behind the app's MetricsRecorder
//   loadUiFiles                                the playground's and docs UI's files (repo + swagger-ui-dist)
//   readKeyFile, createKey, revokeKey,         DIR/api-keys.json: the keys `vitrine keys` writes and
//     keyFilePath, KEY_FILE, KeyFileError,       `vitrine serve` reads when none are configured
//     StoredKey
export { serveNode, serverPathAliases, type NodeServer, type ServeNodeOptions } from "./serve-node.ts";
export { createPromMetrics, type PromMetricsOptions } from "./prom-metrics.ts";
export { loadUiFiles } from "./ui-files.ts";
export { createKey, KEY_FILE, KeyFileError, keyFilePath, readKeyFile, revokeKey, type KeyFileErrorCode, type StoredKey } from "./key-file.ts";
