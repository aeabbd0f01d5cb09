// Edge qid-hit latency under workerd (Miniflare) vs the Node origin answering the same qid hit over
// HTTP. A generated shop is published (hash encoder, top-K lists), pushed to Miniflare's KV through
// the KV bulk API stand-in, and every logged query is asked one request at a time (latency, not
// throughput) through: the origin over HTTP; the edge via Miniflare's dispatchFetch, via its
// HTTP port (through Miniflare's entry Worker, as `wrangler dev`) and via workerd's own socket, with the per-isolate qid cache on (default 256 entries) and off (each request
// reads KV); and a forwarded miss (edge → origin). Everything runs on this machine, so the figures
// are server-side cost: the edge's real gain, a PoP near the caller instead of a far origin, is
// network distance this bench cannot show.
// Usage: npm run bench -- edge [--items 5000] [--queries 400] [--top-k 200] [--k 50] [--rounds 5]
import { parseArgs } from "node:util";
import { destination, pino } from "pino";
import { serveNode } from "../api/node/index.ts";
import { createRetrievalService } from "../api/service/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { createCloudflareKv, publishRelease, pushReleaseToEdge } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { startEdge } from "../test/fixtures/edge-miniflare.ts";
import { percentile, printTable, writeResults } from "./bench-utils.ts";

const { values: a } = parseArgs({
  options: {
    items: { type: "string", default: "5000" },
    queries: { type: "string", default: "400" },
    "top-k": { type: "string", default: "200" },
    k: { type: "string", default: "50" },
    rounds: { type: "string", default: "5" },
  },
});
const SHOP = { items: Number(a.items), queries: Number(a.queries), seed: 11 };
const K = Number(a.k);
const ROUNDS = Number(a.rounds);
const log = (s: string) => console.error(s);
const key = { id: "bench", key: "bench-read-key-0123456789", role: "read" as const };

log(`shop: ${SHOP.items} items, ${SHOP.queries} logged queries; top-${a["top-k"]} lists`);
const shop = await importedShop(SHOP);
const service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 0 });
let origin: Awaited<ReturnType<typeof serveNode>> | null = null;
const edges: Awaited<ReturnType<typeof startEdge>>[] = [];
try {
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder(), topK: Number(a["top-k"]) });
  origin = await serveNode({
    service,
    port: 0,
    config: { keys: [key], rateLimit: null },
    logger: pino({ level: "info" }, destination({ dest: "/dev/null", sync: false })),
  });
  const o = origin;
  // Two edges, each with its own KV: the qid cache on (default) and off (every hit reads KV).
  const apiKeys = `${key.id}:${key.key}:${key.role}`;
  const cached = await startEdge({ originUrl: o.url, apiKeys });
  edges.push(cached);
  const uncached = await startEdge({ originUrl: o.url, apiKeys, vars: { EDGE_QID_CACHE: "0" } });
  edges.push(uncached);
  let pushed: Awaited<ReturnType<typeof pushReleaseToEdge>> | null = null;
  for (const e of edges) pushed = await pushReleaseToEdge({ dataDir: shop.dataDir, writer: createCloudflareKv(e.kvApi) });
  log(`pushed ${pushed!.qids} qid lists (${(pushed!.bytes / 1e6).toFixed(1)} MB) in ${pushed!.seconds.toFixed(1)} s`);

  const queries = [...new Set(makeShop(SHOP).clicks.map((c) => c.query))];
  const init = (query: string): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key.key}` },
    body: JSON.stringify({ query, k: K }),
  });
  const dispatch = (e: typeof cached, q: string) => e.mf.dispatchFetch(`${e.url}/v1/retrieve`, init(q) as never) as unknown as Promise<Response>;

  // Queries whose list alone answers k (the edge forwards the others; the origin answers all).
  const hits: string[] = [];
  for (const q of queries) {
    const r = await dispatch(cached, q);
    await r.arrayBuffer();
    if (r.headers.get("x-vitrine-edge") === "hit") hits.push(q);
  }
  log(`${hits.length} of ${queries.length} queries are edge hits at k=${K}`);

  const [d1, d2] = [await cached.directUrl(), await uncached.directUrl()];
  const paths: { name: string; via: string | null; send: (q: string) => Promise<Response> }[] = [
    { name: "origin (Node) over HTTP", via: null, send: (q) => fetch(`${o.url}/v1/retrieve`, init(q)) },
    { name: "edge, dispatchFetch, isolate cache", via: "hit", send: (q) => dispatch(cached, q) },
    { name: "edge, HTTP via Miniflare, isolate cache", via: "hit", send: (q) => fetch(`${cached.url}/v1/retrieve`, init(q)) },
    { name: "edge, workerd socket, isolate cache", via: "hit", send: (q) => fetch(`${d1}/v1/retrieve`, init(q)) },
    { name: "edge, dispatchFetch, KV read per hit", via: "hit", send: (q) => dispatch(uncached, q) },
    { name: "edge, HTTP via Miniflare, KV read per hit", via: "hit", send: (q) => fetch(`${uncached.url}/v1/retrieve`, init(q)) },
    { name: "edge, workerd socket, KV read per hit", via: "hit", send: (q) => fetch(`${d2}/v1/retrieve`, init(q)) },
    // For scale: a miss the edge forwards (the origin answers it by vector search, not from a list).
    { name: "edge → origin, forwarded miss (ANN)", via: "forward", send: (q) => fetch(`${d1}/v1/retrieve`, init(`${q} zzqx`)) },
  ];
  // One request at a time; the paths take turns on each query so load from other processes falls
  // on all of them alike. Round 0 warms caches and is dropped.
  const samples = paths.map(() => [] as number[]);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const q of hits) {
      for (const [i, p] of paths.entries()) {
        const t = performance.now();
        const res = await p.send(q);
        await res.arrayBuffer();
        const dt = performance.now() - t;
        if (res.status !== 200) throw new Error(`${p.name}: HTTP ${res.status} for "${q}"`);
        if (p.via && res.headers.get("x-vitrine-edge") !== p.via) throw new Error(`${p.name}: "${q}" went ${res.headers.get("x-vitrine-edge")}, expected ${p.via}`);
        if (round > 0) samples[i]!.push(dt);
      }
    }
    log(`round ${round} done`);
  }
  const rows = paths.map((p, i) => {
    const ms = samples[i]!;
    return { name: p.name, n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), mean: ms.reduce((x, y) => x + y, 0) / ms.length };
  });
  const base = rows[0]!.p50;
  console.log(`\nqid-hit retrieve, k=${K}, top-${a["top-k"]} lists, ${hits.length} distinct queries × ${ROUNDS} rounds, one request at a time, all on 127.0.0.1\n`);
  printTable(
    ["path", "requests", "p50 ms", "p95 ms", "mean ms", "p50 / origin p50"],
    rows.map((r) => [r.name, r.n, r.p50.toFixed(2), r.p95.toFixed(2), r.mean.toFixed(2), (r.p50 / base).toFixed(2)]),
  );
  const path = await writeResults("edge", { spec: { ...SHOP, topK: Number(a["top-k"]), k: K, rounds: ROUNDS, hits: hits.length }, push: pushed, rows });
  log(`\nwrote ${path}`);
} finally {
  for (const e of edges) await e.dispose();
  await origin?.close();
  await service.close();
  await shop.cleanup();
}
