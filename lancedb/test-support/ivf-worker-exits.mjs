// A faulty IVF worker for lancedb/ivf-workers.test.ts: exits (code 3) on the first chunk, answering nothing.
import { parentPort } from "node:worker_threads";

parentPort.on("message", () => process.exit(3));
