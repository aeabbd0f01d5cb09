// Soak under a hostile mix (issue 13): a real served release (LanceDB, hash encoder) behind
// serveNode on 127.0.0.1 with the production limits, and well-behaved keyed clients at a fixed
// rate (qid hits, misses, filters, items.get; REST and tRPC) for the whole run. The run alternates
// quiet windows (the well-behaved clients alone: the baseline, measured in this same run) with
// attack windows, where the attack mix runs beside them — from a read key: cost bombs the filter
// budget refuses, 1,000-deep filters, hostile field names, max-budget filters at k = 1000; without a
// usable key: 1 MB bodies, deep filters, GETs, wrong keys — while releases are published (a
// `vitrine publish` child), activated and rolled back through the API, and a running job is killed
// with SIGKILL. Alternating windows let load from other processes on this shared machine fall on
// both alike. Traffic generators are child processes (open loop: bench/support/soak-client.mjs).
// Reported: requests and non-2xx by class, the well-behaved p50/p99 in attack windows vs quiet ones
// (goal p99 ≤ 2×), failed well-behaved reads (goal 0; around switches in particular), server RSS
// growth over the run (goal < 20%), the killed job's record.
// Usage: npm run bench -- soak [--seconds 20] [--window 10] [--items 2000] [--rate 40] [--hostile-rate 10] [--flood-rate 50]
//   [--attacker-nice 10] [--publish-nice 10] [--workers N]
//   --seconds: attack time in all (quiet windows, half as long, bracket each attack window);
//   --rate: well-behaved req/s; --hostile-rate: a read key's hostile requests per second (issue 13 A
//   stalled the server at 2.4/s); --flood-rate: keyless and wrong-key requests per second;
//   --attacker-nice: the attack generators' niceness (their CPU is not the server's on a real
//   deployment); --publish-nice: the publish child's (a retrain job's publish runs at JOB_NICE);
//   --workers N: serve from `vitrine serve --workers N` child processes instead of serveNode in this
//   process (bench/support/soak-server.ts: jobs then run in a second `vitrine serve`).
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { createHashEncoder } from "../core/index.ts";
import { JOB_NICE } from "../api/jobs/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { BRANDS, CATEGORIES, importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { percentile, printTable, writeResults } from "./bench-utils.ts";
import { type ClientOut, niced, type Req, runClient } from "./support/soak-clients.ts";
import { childServer, healthOnce, inProcessServer } from "./support/soak-server.ts";

const { values: a } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    window: { type: "string", default: "10" },
    items: { type: "string", default: "2000" },
    rate: { type: "string", default: "40" },
    "hostile-rate": { type: "string", default: "10" },
    "flood-rate": { type: "string", default: "50" },
    "attacker-nice": { type: "string", default: "10" },
    "publish-nice": { type: "string", default: String(JOB_NICE) },
    workers: { type: "string" },
  },
});
const ATTACK_MS = Number(a.window) * 1000;
const QUIET_MS = ATTACK_MS / 2;
const WINDOWS = Math.max(1, Math.round(Number(a.seconds) / Number(a.window)));
const RATE = Number(a.rate);
const HOSTILE_RATE = Number(a["hostile-rate"]);
const FLOOD_RATE = Number(a["flood-rate"]);
// The attack generators' own CPU is the attacker's machine's on a real deployment, not the
// server's: here they share its 2 cores, so they run niced (0 measures them at the server's priority).
const ATTACKER_NICE = Number(a["attacker-nice"]);
// The publish stands for a retrain job's, which the job runner starts at JOB_NICE (api/jobs).
const PUBLISH_NICE = Number(a["publish-nice"]);
// Absent: serveNode in this process; N: `vitrine serve --workers N` child processes.
const WORKERS = a.workers === undefined ? null : Number(a.workers);
const SHOP = { items: Number(a.items), queries: 300, seed: 21 };
const log = (s: string) => console.error(s);
const mb = (b: number) => Math.round(b / 2 ** 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const KEYS = {
  app1: "soak-app1-read-key-0123456789abcdef",
  app2: "soak-app2-read-key-0123456789abcdef",
  mallory: "soak-mallory-read-key-0123456789abc",
  ops: "soak-ops-admin-key-0123456789abcdef",
};
const SCRIPT = fileURLToPath(new URL("../api/jobs/test-support/scripted-job.mjs", import.meta.url));
const CLI = fileURLToPath(new URL("../bin/vitrine.js", import.meta.url));

// ---- a real release -------------------------------------------------------------------------
log(`shop: ${SHOP.items} items, ${SHOP.queries} logged queries`);
const shop = await importedShop(SHOP);
const dataDir = shop.dataDir;
await publishRelease({ dataDir, encoder: createHashEncoder({ seed: 0 }), topK: 100 });
await publishRelease({ dataDir, encoder: createHashEncoder({ seed: 1 }), topK: 100 });
// A job that runs long enough to be killed: the scripted stand-in speaking the job protocol.
const serverOptions = {
  dataDir,
  keys: [
    { id: "app1", key: KEYS.app1, role: "read" as const },
    { id: "app2", key: KEYS.app2, role: "read" as const },
    { id: "mallory", key: KEYS.mallory, role: "read" as const },
    { id: "ops", key: KEYS.ops, role: "admin" as const },
  ],
  jobCommand: `${process.execPath} ${SCRIPT} {job} pretrain 100000 20`,
};
const server = WORKERS === null ? await inProcessServer(serverOptions, gc) : await childServer(serverOptions, WORKERS);
log(`server: ${server.label} at ${server.url}`);

// ---- traffic ----------------------------------------------------------------------------------
const { clicks, items } = makeShop(SHOP);
const logged = [...new Set(clicks.map((c) => c.query))];
const j = JSON.stringify;
const good: Req[] = [];
for (let i = 0; i < 400; i++) {
  const key = i % 2 ? KEYS.app1 : KEYS.app2;
  const q = logged[i % logged.length]!;
  const variant = i % 8;
  const body =
    variant < 3
      ? { query: q, k: 20 } // qid hit
      : variant < 5
        ? { query: `zq${i} ${q.split(" ")[0]} lamp`, k: 20 } // miss: live search
        : variant === 5
          ? { query: q, k: 20, filters: { op: "eq", field: "brand", value: BRANDS[i % BRANDS.length] } }
          : variant === 6
            ? {
                query: `zq${i} shirt`,
                k: 20,
                filters: {
                  op: "and",
                  filters: [
                    { op: "eq", field: "category", value: CATEGORIES[i % CATEGORIES.length] },
                    { op: "range", field: "price", lt: 120 },
                  ],
                },
              }
            : { query: q, k: 10, filters: { op: "range", field: "price", gte: 20, lt: 80 } };
  const kind = variant < 3 ? "qid hit" : variant < 5 ? "miss" : "filtered";
  if (i % 10 === 9) good.push({ kind: "items.get", method: "POST", path: "/v1/items:get", key, body: j({ ids: items.slice(i % 50, (i % 50) + 5).map((x) => x.id) }) });
  else good.push({ kind, method: "POST", path: i % 3 === 0 ? "/trpc/retrieve" : "/v1/retrieve", key, body: j(body) });
}

const brands = (n: number, off = 0) => Array.from({ length: n }, (_, i) => `b${off + i}`);
// Issue 13 A's bomb: not(or(64 in-lists × 1,000 values)), k = 1000 — about 600 KB; the budget refuses it.
const bomb = j({
  query: "red dress",
  k: 1000,
  filters: { op: "not", filter: { op: "or", filters: Array.from({ length: 64 }, (_, i) => ({ op: "in", field: "brand", values: brands(1000, i * 1000) })) } },
});
// The most a filter may cost: 1,000 values over 9 nodes, k = 1000 — accepted, and answered.
const maxBudget = j({
  query: "red dress",
  k: 1000,
  filters: { op: "or", filters: Array.from({ length: 8 }, (_, i) => ({ op: "in", field: "brand", values: [...brands(124, i * 124), BRANDS[i % BRANDS.length]!] })) },
});
let deep = '{"op":"eq","field":"brand","value":"Acme"}';
for (let i = 0; i < 1000; i++) deep = `{"op":"not","filter":${deep}}`;
const keyless1MB = j({ query: "x".repeat(1_000_000 - 20) });
// A read key's hostile requests.
const hostile: Req[] = [
  { kind: "cost bomb (read key)", method: "POST", path: "/trpc/retrieve", key: KEYS.mallory, body: bomb },
  { kind: "max-budget filter, k=1000 (read key)", method: "POST", path: "/v1/retrieve", key: KEYS.mallory, body: maxBudget },
  { kind: "1,000-deep filter (read key)", method: "POST", path: "/v1/retrieve", key: KEYS.mallory, body: `{"query":"red","filters":${deep}}` },
  {
    kind: "hostile field names (read key)",
    method: "POST",
    path: "/v1/retrieve",
    key: KEYS.mallory,
    body: j({ query: "dress", filters: { op: "not", filter: { op: "eq", field: "attributes.constructor", value: "a" } } }),
  },
];
// Requests without a usable key.
const flood: Req[] = [
  { kind: "keyless 1 MB POST", method: "POST", path: "/trpc/retrieve", key: null, body: keyless1MB },
  { kind: "keyless 1,000-deep filter", method: "POST", path: "/trpc/retrieve", key: null, body: `{"query":"red","filters":${deep}}` },
  { kind: "keyless GET", method: "GET", path: "/v1/releases", key: null, body: null },
  { kind: "wrong key", method: "GET", path: "/v1/releases", key: "guess-0000000000000000000000", body: null },
  { kind: "wrong key", method: "POST", path: "/trpc/retrieve", key: "guess-1111111111111111111111", body: j({ query: "x" }) },
];

// ---- windows -------------------------------------------------------------------------------
const admin = async (method: string, path: string, body?: unknown, url = server.url) => {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.ops}`, ...(method === "POST" ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: j(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
};
const health = () => healthOnce(server.url);
const cpu = () => server.cpuSeconds();

log("warm-up 3 s");
await runClient({ url: server.url, until: Date.now() + 3_000, role: "good", rate: RATE, maxInFlight: 256, requests: good });

const rssStart = server.rss(true);
let rssPeak = rssStart;
const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, server.rss(false))), 500);

// quiet, attack, quiet, attack, …, quiet; a 1 s lead-in lets the well-behaved client connect.
type Window = { kind: "quiet" | "attack"; start: number; end: number; cpu?: number; loopP99?: number; loopMax?: number };
const t0 = Date.now() + 1_000;
const windows: Window[] = [];
let t = t0;
for (let w = 0; w < WINDOWS; w++) {
  windows.push({ kind: "quiet", start: t, end: (t += QUIET_MS) });
  windows.push({ kind: "attack", start: t, end: (t += ATTACK_MS) });
}
windows.push({ kind: "quiet", start: t, end: (t += QUIET_MS) });
const end = t;
const attackWindows = windows.filter((w) => w.kind === "attack");
const windowOf = (at: number) => windows.find((w) => at >= w.start && at < w.end) ?? null;
log(
  `${WINDOWS} attack window(s) of ${ATTACK_MS / 1000} s between quiet ones of ${QUIET_MS / 1000} s: well-behaved ${RATE} req/s throughout; attack: a read key's hostile requests ${HOSTILE_RATE} req/s + keyless/wrong-key flood ${FLOOD_RATE} req/s`,
);

const goodRun = runClient({ url: server.url, until: end, role: "good", rate: RATE, maxInFlight: 256, requests: good });
// Server CPU and event-loop delay per window (in-process only): a blocked event loop (the server's
// own doing) shows as delay; a server starved of CPU by other processes shows as latency without it.
const eld = server.loopDelay;
for (const w of windows) {
  let c0 = 0;
  setTimeout(() => {
    c0 = cpu();
    eld?.reset();
  }, w.start - Date.now());
  setTimeout(() => {
    w.cpu = cpu() - c0;
    if (eld) {
      w.loopP99 = eld.p99();
      w.loopMax = eld.max();
    }
  }, w.end - Date.now());
}
// The attack generators start now (in the lead-in) and send only inside attack windows.
const attackSpans = attackWindows.map((w) => [w.start, w.end] as [number, number]);
const attackRuns = [
  runClient({ url: server.url, until: end, windows: attackSpans, role: "hostile", rate: HOSTILE_RATE, maxInFlight: 64, requests: hostile }, ATTACKER_NICE),
  runClient({ url: server.url, until: end, windows: attackSpans, role: "hostile", rate: FLOOD_RATE, maxInFlight: 64, requests: flood }, ATTACKER_NICE),
];

// Switches, spread evenly over the attack time and only ever started inside an attack window.
type Switch = { what: string; start: number; end: number; ok: boolean; detail: string };
const switches: Switch[] = [];
const wallOf = (tau: number) => {
  const i = Math.min(attackWindows.length - 1, Math.floor(tau / ATTACK_MS));
  return attackWindows[i]!.start + (tau - i * ATTACK_MS);
};
const inAttack = async () => {
  for (;;) {
    const w = windowOf(Date.now());
    if (w?.kind === "attack" && w.end - Date.now() > 1_500) return;
    const next = attackWindows.find((x) => x.start > Date.now());
    if (!next) return;
    await sleep(next.start + 500 - Date.now());
  }
};
const timed = async (tau: number, what: string, f: () => Promise<{ ok: boolean; detail: string }>) => {
  const wait = wallOf(tau) - Date.now();
  if (wait > 0) await sleep(wait);
  await inAttack();
  const start = Date.now();
  const r = await f().catch((e: unknown) => ({ ok: false, detail: (e as Error).message }));
  switches.push({ what, start, end: Date.now(), ...r });
  log(`  ${((start - t0) / 1000).toFixed(1)} s: ${what} → ${r.detail}`);
};
// Served once /healthz names it on fresh connections twice per serving process in a row (workers
// follow the pointer each on its own; failed reads would show any that lags).
const servedBy = async (release: string, ms = 15_000) => {
  const stop = Date.now() + ms;
  let streak = 0;
  while (Date.now() < stop) {
    streak = (await health()) === release ? streak + 1 : 0;
    if (streak >= 2 * server.processes) return true;
    await sleep(streak > 0 ? 0 : 100);
  }
  return false;
};
const tau = (k: number) => 1_000 + (k * WINDOWS * ATTACK_MS) / 6;
let killed: Record<string, unknown> | null = null;
let publishLoop: { p99: number; max: number; serverCpu: number } | null = null;
const events = (async () => {
  await timed(tau(0), `publish r003 (vitrine publish child, nice ${PUBLISH_NICE}) until served`, async () => {
    // The server's event loop is this process's only in-process.
    const h = server.loopDelay ? monitorEventLoopDelay({ resolution: 5 }) : null;
    h?.enable();
    const c0 = cpu();
    const code = await new Promise<number | null>((res) => {
      const p = spawn(...niced(PUBLISH_NICE, [CLI, "publish", "--data", dataDir, "--seed", "7", "--top-k", "100"]), { stdio: "ignore" });
      p.once("close", res);
    });
    const ok = code === 0 && (await servedBy("r003"));
    h?.disable();
    publishLoop = { p99: h ? h.percentile(99) / 1e6 : Number.NaN, max: h ? h.max / 1e6 : Number.NaN, serverCpu: cpu() - c0 };
    return { ok, detail: `exit ${code}, serving ${await health()}` };
  });
  await timed(tau(1), "activate r001 (REST)", async () => {
    const r = await admin("POST", "/v1/releases/r001/activate");
    return { ok: r.status === 200 && (await servedBy("r001")), detail: `${r.status}, serving ${await health()}` };
  });
  await timed(tau(2), "rollback (tRPC)", async () => {
    const r = await admin("POST", "/trpc/releases.rollback");
    return { ok: r.status === 200 && (await servedBy(r.json.result?.data?.id)), detail: `${r.status} → ${r.json.result?.data?.id}, serving ${await health()}` };
  });
  await timed(tau(3), "kill -9 of a running job", async () => {
    const t = await admin("POST", "/trpc/jobs.trigger", { kind: "pretrain", config: {} }, server.jobsUrl);
    const id = t.json.result.data.id as string;
    const get = async () => (await admin("GET", `/trpc/jobs.get?input=${encodeURIComponent(j({ id }))}`, undefined, server.jobsUrl)).json.result.data as Record<string, any>;
    let job: Record<string, any> = {};
    for (let i = 0; i < 100 && !(job.state === "running" && job.pid); i++) {
      job = await get();
      await sleep(50);
    }
    process.kill(job.pid as number, "SIGKILL");
    for (let i = 0; i < 100 && job.state === "running"; i++) {
      await sleep(50);
      job = await get();
    }
    killed = { id, state: job.state, exit: job.exit, error: job.error, resumable: job.resumable };
    return { ok: job.state === "failed", detail: `${job.state}: ${job.error}` };
  });
  await timed(tau(4), "activate r002 (REST)", async () => {
    const r = await admin("POST", "/v1/releases/r002/activate");
    return { ok: r.status === 200 && (await servedBy("r002")), detail: `${r.status}, serving ${await health()}` };
  });
  await timed(tau(5), "rollback (REST)", async () => {
    const r = await admin("POST", "/v1/releases/rollback");
    return { ok: r.status === 200 && (await servedBy(r.json.id)), detail: `${r.status} → ${r.json.id}, serving ${await health()}` };
  });
})();
const [goodOut] = await Promise.all([goodRun, events]);
const attackOuts = await Promise.all(attackRuns);
clearInterval(rssTimer);
const rssEnd = server.rss(true);
rssPeak = Math.max(rssPeak, rssEnd);
const reloads = server.reloads();

await server.close();
await shop.cleanup();

// ---- report -------------------------------------------------------------------------------------
type Sample = ClientOut["samples"][number];
const inKind = (kind: Window["kind"]) => goodOut.samples.filter((x) => windowOf(x[0])?.kind === kind);
const quietSamples = inKind("quiet");
const attackSamples = inKind("attack");
const stats = (xs: Sample[]) => {
  const ms = xs.filter((x) => x[2] === 200).map((x) => x[1]);
  return { n: xs.length, ok: ms.length, failed: xs.length - ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
};
const cpuOf = (kind: Window["kind"]) => windows.filter((w) => w.kind === kind).reduce((x, w) => x + (w.cpu ?? 0), 0);
const secondsOf = (kind: Window["kind"]) => windows.filter((w) => w.kind === kind).reduce((x, w) => x + (w.end - w.start) / 1000, 0);
const q = stats(quietSamples);
const h = stats(attackSamples);
// The publish child (tsx start-up, encoding, table writes) shares the 2 cores: also shown without its window.
const pub = switches.find((x) => x.what.startsWith("publish"));
const hx = stats(attackSamples.filter((x) => !pub || x[0] < pub.start || x[0] > pub.end));
const failedGood = goodOut.samples.filter((x) => x[2] !== 200);
const near = (at: number, sw: Switch) => at >= sw.start - 500 && at <= sw.end + 2_000;
const f2 = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = h.p99 / q.p99;

console.log(
  `\nwell-behaved clients (2 read keys, ${RATE} req/s open loop: qid hits, misses, filters, items.get; REST and tRPC), ${SHOP.items}-item release, ${server.label} on 127.0.0.1, production limits`,
);
console.log(
  `${WINDOWS} attack window(s) of ${ATTACK_MS / 1000} s, each between quiet windows of ${QUIET_MS / 1000} s (the baseline, in this run); switches and the kill -9 in attack windows; attack generators at nice ${ATTACKER_NICE}, the publish child at nice ${PUBLISH_NICE}\n`,
);
printTable(
  ["windows", "seconds", "requests", "200", "failed", "p50 ms", "p99 ms", "max ms", "p99 vs quiet", "server CPU %"],
  [
    ["quiet (baseline)", secondsOf("quiet"), q.n, q.ok, q.failed, f2(q.p50), f2(q.p99), f2(q.max), "1.00×", ((100 * cpuOf("quiet")) / secondsOf("quiet")).toFixed(0)],
    ["attack + switches", secondsOf("attack"), h.n, h.ok, h.failed, f2(h.p50), f2(h.p99), f2(h.max), `${ratio.toFixed(2)}×`, ((100 * cpuOf("attack")) / secondsOf("attack")).toFixed(0)],
    ["  less the publish window", "", hx.n, hx.ok, hx.failed, f2(hx.p50), f2(hx.p99), f2(hx.max), `${(hx.p99 / q.p99).toFixed(2)}×`, ""],
  ],
);

const attackCounts: Record<string, Record<string, number>> = {};
for (const o of attackOuts)
  for (const [kind, byStatus] of Object.entries(o.counts)) for (const [st, n] of Object.entries(byStatus)) (attackCounts[kind] ??= {})[st] = (attackCounts[kind]![st] ?? 0) + n;
const skipped = attackOuts.reduce((x, o) => x + o.skipped, 0);
console.log(`\nattack mix (open loop, at most 64 in flight per generator; ${skipped} sends skipped at that cap): responses by status\n`);
printTable(
  ["request", "sent", "statuses"],
  Object.entries(attackCounts).map(([kind, byStatus]) => [
    kind,
    Object.values(byStatus).reduce((x, y) => x + y, 0),
    Object.entries(byStatus)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([st, n]) => `${st}×${n}`)
      .join(" "),
  ]),
);
const byClass: Record<string, number> = {};
const classOf = (st: string) => (st === "neterr" ? "connection closed" : `${st[0]}xx`);
for (const counts of [attackCounts, goodOut.counts])
  for (const byStatus of Object.values(counts)) for (const [st, n] of Object.entries(byStatus)) byClass[classOf(st)] = (byClass[classOf(st)] ?? 0) + n;
const total = Object.values(byClass).reduce((x, y) => x + y, 0);
console.log(
  `\nall requests (well-behaved and attack): ${total}; by class: ${Object.entries(byClass)
    .sort()
    .map(([c, n]) => `${c} ${n}`)
    .join(", ")}`,
);

console.log("\nswitches (each must leave well-behaved reads at 200)\n");
printTable(
  ["at s", "what", "took s", "ok", "well-behaved failures around it"],
  switches.map((sw) => [((sw.start - t0) / 1000).toFixed(1), sw.what, ((sw.end - sw.start) / 1000).toFixed(2), sw.ok ? "yes" : "NO", failedGood.filter((x) => near(x[0], sw)).length]),
);
const loopOf = (kind: Window["kind"]) => {
  const ws = windows.filter((w) => w.kind === kind && w.loopMax !== undefined);
  return { p99: Math.max(...ws.map((w) => w.loopP99!)), max: Math.max(...ws.map((w) => w.loopMax!)) };
};
const lq = loopOf("quiet");
const la = loopOf("attack");
const pubSeconds = pub ? (pub.end - pub.start) / 1000 : 0;
// Assigned in the publish callback (TypeScript cannot see that).
const pl = publishLoop as { p99: number; max: number; serverCpu: number } | null;
const pubCpu = pl ? `server CPU ${((100 * pl.serverCpu) / pubSeconds).toFixed(0)}%` : "–";
console.log(
  server.loopDelay
    ? `\nserver event-loop delay (worst window's p99 / max, ms): quiet ${f2(lq.p99)} / ${f2(lq.max)}, attack ${f2(la.p99)} / ${f2(la.max)}; over the publish (${pubSeconds.toFixed(1)} s, child process until served): ${pl ? `${f2(pl.p99)} / ${f2(pl.max)}, ${pubCpu}` : "–"}`
    : `\nover the publish (${pubSeconds.toFixed(1)} s, child process until served): ${pubCpu} (event-loop delay: the server runs in child processes)`,
);
console.log(`releases loaded by the server: ${reloads.map((r) => `${r.release} in ${r.ms.toFixed(0)} ms`).join(", ") || "none"}`);
console.log(`\nkilled job: ${j(killed)}`);
const growth = (rssEnd - rssStart) / rssStart;
console.log(
  `server RSS over the run${server.processes > 1 ? ` (${server.processes} workers and their primary)` : ""}: ${mb(rssStart)} → ${mb(rssEnd)} MiB ${server.loopDelay ? "after GC" : "(no forced GC: child processes)"} (${(100 * growth).toFixed(1)}%), peak ${mb(rssPeak)} MiB`,
);
console.log(
  `\ngoals: p99 in attack windows ≤ 2× quiet: ${ratio <= 2 ? "met" : "NOT met"} (${ratio.toFixed(2)}×; ${(hx.p99 / q.p99).toFixed(2)}× less the publish window); failed well-behaved reads 0: ${failedGood.length === 0 ? "met" : `NOT met (${failedGood.length}, ${failedGood.filter((x) => switches.some((sw) => near(x[0], sw))).length} around a switch)`}; RSS growth < 20%: ${growth < 0.2 ? "met" : "NOT met"} (${(100 * growth).toFixed(1)}%)`,
);

const path = await writeResults("soak", {
  spec: {
    server: server.label,
    workers: WORKERS,
    windows: WINDOWS,
    attackSeconds: ATTACK_MS / 1000,
    quietSeconds: QUIET_MS / 1000,
    items: SHOP.items,
    rate: RATE,
    hostileRate: HOSTILE_RATE,
    floodRate: FLOOD_RATE,
  },
  quiet: { ...q, cpuSeconds: cpuOf("quiet") },
  attack: { ...h, lessPublish: hx, cpuSeconds: cpuOf("attack"), counts: attackCounts, skipped },
  failed: failedGood.map(([at, ms, status, kind]) => ({ at: at - t0, ms, status, kind })),
  byClass,
  switches: switches.map((sw) => ({ ...sw, start: sw.start - t0, end: sw.end - t0 })),
  killed,
  eventLoop: { quiet: lq, attack: la, publish: pl },
  reloads: reloads.map((r) => ({ ...r, at: r.at - t0 })),
  rss: { startMB: mb(rssStart), endMB: mb(rssEnd), peakMB: mb(rssPeak), growth },
  // Every well-behaved request: [ms after the first window, latency ms, status, kind, window].
  samples: goodOut.samples.map(([at, ms, status, kind]) => [at - t0, ms, status, kind, windowOf(at)?.kind ?? "lead-in"]),
});
log(`\nwrote ${path}`);
