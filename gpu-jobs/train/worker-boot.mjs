// A training worker's first module (train/worker-group.ts starts every worker here). Workers run
// TypeScript, and a worker thread does not inherit the loader a parent registered with tsx's
// register() (bin/vitrine.js does that), so register it, then load the entry the group names.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
