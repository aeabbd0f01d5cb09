// qid-hit throughput of `vitrine serve --workers 2` (node:cluster, one port) vs one process (issue 16),
// on loopback, with the load generator (autocannon, a child process) on the same cores. Rounds
// alternate 1, 2, 1, 2 … and each ratio is taken against the 1-process round just before it (other
// load on the machine drifts). Both servers run at once (idle when not loaded).
//   npm run bench -- workers [--seconds 8] [--connections 50] [--rounds 2] [--items 2000]
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, startServe, type ServeProcess } from "../test/fixtures/serve-process.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { runLoad, type LoadResult } from "./support/load.ts";

const { values: a } = parseArgs({
  options: { seconds: { type: "string", default: "8" }, connections: { type: "string", default: "50" }, rounds: { type: "string", default: "2" }, items: { type: "string", default: "2000" } },
});
const seconds = Number(a.seconds);
const connections = Number(a.connections);
const rounds = Number(a.rounds);
const items = Number(a.items);

const shop = await importedShop({ items, queries: 300 });
await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() });
// Logged queries only: every request is a qid hit (k = 50, as bench/retrieve.ts's HTTP section).
const bodies = [...new Set(makeShop({ items, queries: 300 }).clicks.map((c) => c.query))].map((query) => JSON.stringify({ query, k: 50, understand: false, relax: true }));

const env = replicaEnv({ VITRINE_JOBS: "off" });
const servers: ServeProcess[] = await Promise.all([startServe(shop.dataDir, env), startServe(shop.dataDir, env, ["--workers", "2"])]);
const load = (url: string, secs: number) => runLoad({ url, key: REPLICA_KEYS.read, path: "/v1/retrieve", method: "POST", bodies, seconds: secs, connections });
try {
  for (const s of servers) await load(s.url, 2); // warm-up: JIT and the release in every worker
  const rows: { setup: string; round: number; r: LoadResult }[] = [];
  for (let round = 1; round <= rounds; round++) {
    rows.push({ setup: "1 process", round, r: await load(servers[0]!.url, seconds) });
    rows.push({ setup: "--workers 2", round, r: await load(servers[1]!.url, seconds) });
  }
  const baseOf = (round: number) => rows.find((x) => x.round === round && x.setup === "1 process")!.r.reqPerSec;
  const ratios = rows.filter((x) => x.setup === "--workers 2").map((x) => x.r.reqPerSec / baseOf(x.round));
  console.log(
    `\nPOST /v1/retrieve (qid hits, k = 50) on 127.0.0.1, ${items} items (hash encoder), ${bodies.length} rotating bodies, one autocannon child × ${connections} connections, ` +
      `${seconds} s per round, VITRINE_JOBS=off, warn-level logs; ${availableParallelism()} cores shared by the servers and the load generator\n`,
  );
  printTable(
    ["setup", "round", "req/s", "vs 1 process (same round)", "p50 ms", "p99 ms", "requests", "non-2xx", "errors"],
    rows.map((x) => [x.setup, x.round, Math.round(x.r.reqPerSec), (x.r.reqPerSec / baseOf(x.round)).toFixed(2), x.r.p50, x.r.p99, x.r.total, x.r.non2xx, x.r.errors + x.r.timeouts]),
  );
  console.log(`\n--workers 2 vs 1 process, per round: ${ratios.map((r) => r.toFixed(2)).join(", ")}`);
  console.log(`results: ${await writeResults("workers", { items, seconds, connections, rounds, rows, ratios, cores: availableParallelism() })}`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await shop.cleanup();
}
