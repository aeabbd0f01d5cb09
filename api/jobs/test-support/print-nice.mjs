// Stand-in job CLI for runners.test.ts: prints its niceness and that of a worker thread it starts.
import { getPriority } from "node:os";
import { Worker } from "node:worker_threads";

const worker = new Worker("import { getPriority } from 'node:os'; import { parentPort } from 'node:worker_threads'; parentPort.postMessage(getPriority());", { eval: true });
worker.once("message", (w) => {
  console.log(JSON.stringify({ main: getPriority(), worker: w, argv: process.argv.slice(2) }));
  process.exit(0);
});
