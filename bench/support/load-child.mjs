// autocannon in a child process, so the load generator does not share the server's event loop (in a
// worker thread autocannon skips aggregating its results). Reads a LoadJob as JSON on stdin, writes
// a LoadResult as JSON on stdout. Plain JS so it runs without tsx.
import { createRequire } from "node:module";

const autocannon = createRequire(import.meta.url)("autocannon");
let input = "";
for await (const chunk of process.stdin) input += chunk;
/** @type {import("./load.ts").LoadJob} */
const job = JSON.parse(input);
let next = 0;
const r = await autocannon({
  url: job.url + job.path,
  method: job.method,
  connections: job.connections,
  duration: job.seconds,
  headers: { authorization: `Bearer ${job.key}`, "content-type": "application/json" },
  // Rotate the bodies so the server sees many different queries.
  requests: job.bodies.length ? [{ setupRequest: (req) => ({ ...req, body: job.bodies[next++ % job.bodies.length] }) }] : undefined,
});
/** @type {import("./load.ts").LoadResult} */
const out = {
  reqPerSec: r.requests.total / r.duration,
  total: r.requests.total,
  p50: r.latency.p50,
  p90: r.latency.p90,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
};
process.stdout.write(JSON.stringify(out));
