// qid-hit throughput of `vitrine serve` (issue 16): one process and `--workers 2` (node:cluster, one
// port), each with the qid response cache on (the default) and off (VITRINE_RESPONSE_CACHE_MB=0), on
// loopback with the load generator (autocannon, a child process) on the same cores. Every round
// measures GET /healthz (the HTTP floor, per setup of workers) and then each setup's POST
// /v1/retrieve; each figure is a ratio to the /healthz of the same round and worker count (other
// load on the machine drifts). All servers run at once (idle when not loaded).
//   npm run bench -- workers [--seconds 8] [--connections 50] [--rounds 2] [--items 2000]
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, startServe, type ServeProcess } from "../test/fixtures/serve-process.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { runLoad, type LoadResult } from "./support/load.ts";
import { treeCpuMs } from "./support/process-cpu.ts";

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

interface Setup {
  label: string;
  workers: 1 | 2;
  cache: boolean;
}
const SETUPS: Setup[] = [
  { label: "1 process, cache off", workers: 1, cache: false },
  { label: "1 process, cache on", workers: 1, cache: true },
  { label: "--workers 2, cache off", workers: 2, cache: false },
  { label: "--workers 2, cache on", workers: 2, cache: true },
];
const env = (cache: boolean) => replicaEnv({ VITRINE_JOBS: "off", ...(cache ? {} : { VITRINE_RESPONSE_CACHE_MB: "0" }) });
const servers: ServeProcess[] = await Promise.all(SETUPS.map((s) => startServe(shop.dataDir, env(s.cache), s.workers === 2 ? ["--workers", "2"] : [])));
// Each measurement also reads the server's CPU time (all its processes) per request: a cost that
// other load on the machine does not inflate the way it deflates req/s.
type Measured = LoadResult & { cpuUsPerReq: number | null };
async function measured(s: ServeProcess, run: () => Promise<LoadResult>): Promise<Measured> {
  const c0 = treeCpuMs(s.child.pid!);
  const r = await run();
  const c1 = treeCpuMs(s.child.pid!);
  return { ...r, cpuUsPerReq: c0 !== null && c1 !== null && r.total > 0 ? ((c1 - c0) * 1000) / r.total : null };
}
const retrieveLoad = (s: ServeProcess, secs: number) => measured(s, () => runLoad({ url: s.url, key: REPLICA_KEYS.read, path: "/v1/retrieve", method: "POST", bodies, seconds: secs, connections }));
const cpu = (r: Measured) => (r.cpuUsPerReq === null ? "—" : Math.round(r.cpuUsPerReq));
const healthLoad = (s: ServeProcess) => measured(s, () => runLoad({ url: s.url, key: REPLICA_KEYS.read, path: "/healthz", method: "GET", bodies: [], seconds, connections }));
try {
  for (const s of servers) await retrieveLoad(s, 2); // warm-up: JIT, the release in every worker, the caches filled
  const rows: { setup: string; workers: number; round: number; r: Measured; floor: number }[] = [];
  const floors: { workers: number; round: number; r: Measured }[] = [];
  const load0 = loadavg()[0]!;
  for (let round = 1; round <= rounds; round++) {
    // The floor of each worker count: /healthz on a cache-off server of that count (the cache does not touch /healthz).
    for (const w of [1, 2] as const) floors.push({ workers: w, round, r: await healthLoad(servers[SETUPS.findIndex((s) => s.workers === w)]!) });
    for (const [i, s] of SETUPS.entries()) {
      const floor = floors.find((f) => f.round === round && f.workers === s.workers)!.r.reqPerSec;
      rows.push({ setup: s.label, workers: s.workers, round, r: await retrieveLoad(servers[i]!, seconds), floor });
    }
  }
  const load1 = loadavg()[0]!;
  console.log(
    `\nPOST /v1/retrieve (qid hits, k = 50) on 127.0.0.1, ${items} items (hash encoder), ${bodies.length} rotating bodies, one autocannon child × ${connections} connections, ` +
      `${seconds} s per measurement, VITRINE_JOBS=off, warn-level logs; ${availableParallelism()} cores shared by the servers and the load generator; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}\n`,
  );
  printTable(
    ["setup", "round", "req/s", "vs /healthz (same round, same workers)", "server CPU µs/req", "p50 ms", "p99 ms", "requests", "non-2xx", "errors"],
    [
      ...floors.map((f) => [
        `GET /healthz, ${f.workers === 1 ? "1 process" : "--workers 2"}`,
        f.round,
        Math.round(f.r.reqPerSec),
        "1.00",
        cpu(f.r),
        f.r.p50,
        f.r.p99,
        f.r.total,
        f.r.non2xx,
        f.r.errors + f.r.timeouts,
      ]),
      ...rows.map((x) => [x.setup, x.round, Math.round(x.r.reqPerSec), (x.r.reqPerSec / x.floor).toFixed(2), cpu(x.r), x.r.p50, x.r.p99, x.r.total, x.r.non2xx, x.r.errors + x.r.timeouts]),
    ],
  );
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const meanCpu = (rs: Measured[]) => (rs.every((r) => r.cpuUsPerReq !== null) ? mean(rs.map((r) => r.cpuUsPerReq!)) : null);
  const summary = SETUPS.map((s) => {
    const mine = rows.filter((x) => x.setup === s.label);
    const floorCpu = meanCpu(floors.filter((f) => f.workers === s.workers).map((f) => f.r));
    const cpuUs = meanCpu(mine.map((x) => x.r));
    return {
      setup: s.label,
      reqPerSec: mean(mine.map((x) => x.r.reqPerSec)),
      vsHealthz: mean(mine.map((x) => x.r.reqPerSec / x.floor)),
      cpuUs,
      cpuVsHealthz: cpuUs !== null && floorCpu ? cpuUs / floorCpu : null,
    };
  });
  console.log("\nmean over rounds:");
  printTable(
    ["setup", "req/s", "vs /healthz", "cache on vs off (same workers)", "server CPU µs/req", "CPU vs /healthz"],
    summary.map((x, i) => [
      x.setup,
      Math.round(x.reqPerSec),
      x.vsHealthz.toFixed(2),
      SETUPS[i]!.cache ? (x.vsHealthz / summary[i - 1]!.vsHealthz).toFixed(2) : "—",
      x.cpuUs === null ? "—" : Math.round(x.cpuUs),
      x.cpuVsHealthz === null ? "—" : x.cpuVsHealthz.toFixed(2),
    ]),
  );
  const goal = summary.find((x) => x.setup === "--workers 2, cache on")!;
  console.log(`\n≥ 5,000 req/s for qid hits (--workers 2, cache on): ${Math.round(goal.reqPerSec)} req/s — ${goal.reqPerSec >= 5000 ? "met" : "NOT met"} here`);
  console.log(`results: ${await writeResults("workers", { items, seconds, connections, rounds, load: [load0, load1], floors, rows, summary, cores: availableParallelism() })}`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await shop.cleanup();
}
