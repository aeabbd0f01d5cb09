// Read throughput of 2 `vitrine serve` replicas on one data directory vs 1 (issue 15), on loopback.
// Both setups are loaded by the same two autocannon child processes (half the connections each):
// with 1 replica both aim at it, with 2 each aims at its own, so only the server count differs.
// Rounds alternate 1, 2, 1, 2 … and the ratio is taken within the run. Every process (replicas,
// load generators) shares this machine's cores: on 2 cores the ratio says how much a second
// process gains there, not what two machines would.
//   npx tsx bench/replicas.ts [--seconds 8] [--connections 16] [--rounds 2] [--items 2000]
import { parseArgs } from "node:util";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, startServe, type ServeProcess } from "../test/fixtures/serve-process.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { runLoad, type LoadResult } from "./support/load.ts";
import { availableParallelism } from "node:os";

const { values: a } = parseArgs({
  options: { seconds: { type: "string", default: "8" }, connections: { type: "string", default: "16" }, rounds: { type: "string", default: "2" }, items: { type: "string", default: "2000" } },
});
const seconds = Number(a.seconds);
const connections = Number(a.connections);
const rounds = Number(a.rounds);
const items = Number(a.items);

const shop = await importedShop({ items, queries: 300 });
await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() });
// Logged queries (qid hits) and reworded ones (the live search), rotated per request.
const logged = [...new Set(makeShop({ items, queries: 300 }).clicks.map((c) => c.query))];
const bodies = logged.flatMap((q) => [q, `${q} sale`]).map((query) => JSON.stringify({ query, k: 20 }));

const replicas: ServeProcess[] = await Promise.all([0, 1].map(() => startServe(shop.dataDir, replicaEnv({ VITRINE_JOBS: "off" }))));
const half = Math.max(1, Math.floor(connections / 2));

/** Two load children at once, one per target URL; their sum. */
async function loadPair(targets: [string, string], secs: number): Promise<LoadResult> {
  const rs = await Promise.all(targets.map((url) => runLoad({ url, key: REPLICA_KEYS.read, path: "/v1/retrieve", method: "POST", bodies, seconds: secs, connections: half })));
  const total = rs.reduce((n, r) => n + r.total, 0);
  const weighted = (k: "p50" | "p99") => Math.max(...rs.map((r) => r[k]));
  return {
    reqPerSec: rs.reduce((n, r) => n + r.reqPerSec, 0),
    total,
    p50: weighted("p50"),
    p90: Math.max(...rs.map((r) => r.p90)),
    p99: weighted("p99"),
    non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
  };
}

const [r0, r1] = replicas.map((r) => r.url) as [string, string];
try {
  await loadPair([r0, r1], 2); // warm-up: both replicas JIT-compiled and their release loaded
  const rows: { setup: string; round: number; r: LoadResult }[] = [];
  for (let round = 1; round <= rounds; round++) {
    rows.push({ setup: "1 replica", round, r: await loadPair([r0, r0], seconds) });
    rows.push({ setup: "2 replicas", round, r: await loadPair([r0, r1], seconds) });
  }
  const mean = (setup: string) => {
    const xs = rows.filter((x) => x.setup === setup).map((x) => x.r.reqPerSec);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  const base = mean("1 replica");
  // Each round's 2-replica figure against the 1-replica figure just before it: other load on the machine drifts between rounds.
  const baseOf = (round: number) => rows.find((x) => x.round === round && x.setup === "1 replica")!.r.reqPerSec;
  const roundRatios = Array.from({ length: rounds }, (_, i) => rows.find((x) => x.round === i + 1 && x.setup === "2 replicas")!.r.reqPerSec / baseOf(i + 1));
  console.log(
    `\nPOST /v1/retrieve on 127.0.0.1, ${items} items (hash encoder), ${bodies.length} rotating bodies (half qid hits, half live searches), ` +
      `2 autocannon children × ${half} connections, ${seconds} s per round, replicas with VITRINE_JOBS=off and warn-level logs; ` +
      `${availableParallelism()} cores shared by the replicas and the load generators\n`,
  );
  printTable(
    ["setup", "round", "req/s", "vs 1 replica (same round)", "p50 ms", "p99 ms", "requests", "non-2xx", "errors"],
    rows.map((x) => [x.setup, x.round, Math.round(x.r.reqPerSec), (x.r.reqPerSec / baseOf(x.round)).toFixed(2), x.r.p50, x.r.p99, x.r.total, x.r.non2xx, x.r.errors + x.r.timeouts]),
  );
  const ratio = mean("2 replicas") / base;
  const perRound = roundRatios.map((r) => r.toFixed(2)).join(", ");
  console.log(`\nmean: 1 replica ${Math.round(base)} req/s, 2 replicas ${Math.round(mean("2 replicas"))} req/s: ratio of means ${ratio.toFixed(2)}; per round ${perRound}`);
  console.log(`results: ${await writeResults("replicas", { items, seconds, connections, rounds, rows, ratio, roundRatios, cores: availableParallelism() })}`);
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  await shop.cleanup();
}
