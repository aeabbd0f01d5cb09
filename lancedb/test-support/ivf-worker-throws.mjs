// A faulty IVF worker for lancedb/ivf-workers.test.ts: throws on the first chunk it is sent.
import { parentPort } from "node:worker_threads";

parentPort.on("message", ({ base }) => {
  throw new Error(`refusing the chunk at row ${base}`);
});
