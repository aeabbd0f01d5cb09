// Retrieval latency, recall and HTTP throughput on a synthetic release (issue 5's goals: qid hit
// p50 ≤ 0.3 ms, filtered ANN p50 ≤ 10 ms with recall@100 ≥ 0.95, ≥ 5,000 req/s for qid hits).
// Data: clustered unit vectors (1000 Gaussian centres + noise), Zipf brands/categories, log-normal
// prices, two attributes, synthetic qid lists (K=100), built through the real store code and cached.
// Baseline in the same run: an exact brute-force scan over every row.
// Catalog-like titles and the BM25 channel at a fixed blend (0.5) by default (issue 16's hybrid qid-miss
// goal), also timed with a popularity prior of 0.2; `--lexical off` builds the old short-title,
// vectors-alone release.
// Usage: npm run bench -- retrieve [--items 1000000] [--qids 200000] [--seed 1] [--ann ivf_hnsw_sq|ivf_pq|none]
//        [--lexical on|off] [--queries 200] [--miss-queries 200] [--recall-queries 50] [--qid-samples 5000] [--http-seconds 10] [--connections 50]
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import { destination, pino } from "pino";
import {
  buildIvfIndex,
  exactTopK,
  LIVE_DEPTH,
  liveChannels,
  matchingRows,
  queryId,
  restoreIvfIndex,
  VECTOR_ONLY_BLEND,
  type FilterExpr,
  type FilterExpr as Filter,
  type RetrieveRequest,
} from "../core/index.ts";
import { ivfWorkerPass, readIvfLayout, type ReleaseIndex } from "../lancedb/index.ts";
import { serveNode } from "../api/node/index.ts";
import { annSearch, createRetrievalService, type RetrieveResult } from "../api/service/index.ts";
import { BENCH_DATA, percentile, printTable, writeResults } from "./bench-utils.ts";
import { clusterCentres, ensureRelease, gauss, generateMissQueries, generateQueries, perturbedCentre, rng, type SynthSpec } from "./support/retrieve-data.ts";
import { runLoad, type LoadJob } from "./support/load.ts";
import { ivfBuildTimes, lexicalBuildOf, timedCpu } from "./support/index-build-times.ts";

const { values: a } = parseArgs({
  options: {
    items: { type: "string", default: "1000000" },
    qids: { type: "string", default: "200000" },
    seed: { type: "string", default: "1" },
    ann: { type: "string", default: "ivf_hnsw_sq" },
    lexical: { type: "string", default: "on" },
    "miss-queries": { type: "string", default: "200" },
    queries: { type: "string", default: "200" },
    "recall-queries": { type: "string", default: "50" },
    "qid-samples": { type: "string", default: "5000" },
    "http-seconds": { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
  },
});
const spec: SynthSpec = {
  items: Number(a.items),
  qids: Number(a.qids),
  seed: Number(a.seed),
  dim: 128,
  clusters: 1000,
  brands: 5000,
  categories: 300,
  listK: 100,
  ann: a.ann === "ivf_pq" || a.ann === "none" ? a.ann : "ivf_hnsw_sq",
  lexical: a.lexical !== "off",
};
const Q = Number(a.queries),
  RQ = Math.min(Q, Number(a["recall-queries"])),
  QS = Number(a["qid-samples"]);
const EXACT_LIMIT = 100_000; // the service's default exactLimit
const K = 100;
const mb = (b: number) => Math.round(b / 2 ** 20);
const f2 = (x: number) => x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1);
const log = (s: string) => console.error(s);

// ---- build (or reuse) the release -------------------------------------------------------------
const dir = join(BENCH_DATA, `retrieve-${spec.items}-${spec.qids}-${spec.seed}${spec.ann === "ivf_pq" ? "-pq" : spec.ann === "none" ? "-noann" : ""}${spec.lexical ? "-hybrid" : ""}`);
log(`data dir ${dir}`);
const build = await ensureRelease(dir, spec, log);
console.log(`\nbuild of ${spec.items} items × ${spec.dim}-d + ${spec.qids} qid lists (K=${K})${build.reused ? " (cached; times from the run that built it)" : ""}\n`);
printTable(
  ["stage", "seconds"],
  Object.entries(build.seconds).map(([k, v]) => [k, v.toFixed(1)]),
);

// ---- load through the real service ------------------------------------------------------------
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
gc();
const rss0 = process.memoryUsage().rss;
const t = performance.now();
const service = await createRetrievalService({ dataDir: dir, pollMs: 0 });
await service.health();
const loadMs = performance.now() - t;
gc();
const rss1 = process.memoryUsage().rss;
// The service's own loaded release, for its building blocks (vectorSearch, matchingRows) and the
// exact ground truth: loaded once, read only.
const idx: ReleaseIndex = await service.releaseIndex();
console.log(`SIMD kernel ${idx.kernel ? "on" : "off"}, IVF ${idx.ivf ? `${idx.ivf.lists} lists, ${idx.ivfSource === "stored" ? "restored from the release" : "built at load"}` : "none"}`);
// The IVF index built from scratch vs restored from the release, on the loaded vectors (both write
// the same centroids and codes into the kernel: the build is deterministic).
const ivfTimes =
  idx.kernel && idx.ivf
    ? {
        build: await timedCpu(() => buildIvfIndex(idx.kernel!, { rowPass: ivfWorkerPass() })),
        restore: idx.handles.ivf ? await timedCpu(async () => restoreIvfIndex(idx.kernel!, await readIvfLayout(idx.handles.ivf!, idx.n), { rowPass: ivfWorkerPass() })) : null,
      }
    : null;
if (ivfTimes) {
  const f = (x: { wallS: number; cpuS: number } | null) => (x ? `${x.wallS.toFixed(1)} s wall, ${x.cpuS.toFixed(1)} s CPU` : "no stored index");
  console.log(`IVF index at load (worker threads, as serving does): build ${f(ivfTimes.build)}; restore from the release ${f(ivfTimes.restore)}`);
  // One thread vs worker threads on the same vectors, same run (the lists and codes must match).
  const modes = await ivfBuildTimes(idx.kernel!, availableParallelism());
  printTable(
    ["IVF index", "build s", "build CPU s", "restore s", "restore CPU s", "main-thread stall ms", "index digest"],
    modes.map((m) => [m.mode, f2(m.build.wallS), f2(m.build.cpuS), f2(m.restore.wallS), f2(m.restore.cpuS), f2(Math.max(m.build.stallMs, m.restore.stallMs)), m.build.digest]),
  );
  console.log(`speed-up on worker threads: build ${(modes[0]!.build.wallS / modes[1]!.build.wallS).toFixed(2)}×, restore ${(modes[0]!.restore.wallS / modes[1]!.restore.wallS).toFixed(2)}×`);
}
const memory = { serviceLoadSeconds: loadMs / 1000, rssBeforeMB: mb(rss0), rssAfterServiceMB: mb(rss1), serviceRssMB: mb(rss1 - rss0) };
console.log(`\nrelease load (createRetrievalService): ${(loadMs / 1000).toFixed(1)} s, RSS +${memory.serviceRssMB} MiB (${memory.rssBeforeMB} → ${memory.rssAfterServiceMB} MiB)`);

const lexicalBuild = await lexicalBuildOf(idx, gc);
if (lexicalBuild) {
  console.log(
    `BM25 index (titles, brands, categories, attributes of ${idx.n} items): built in ${lexicalBuild.wallS.toFixed(1)} s wall, ${lexicalBuild.cpuS.toFixed(1)} s CPU; ${lexicalBuild.memoryMB} MiB; ${lexicalBuild.terms} terms; blend ${JSON.stringify(idx.blend)}`,
  );
}

const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), mean: xs.reduce((s, x) => s + x, 0) / xs.length });
const r = rng(spec.seed * 31 + 5);
const g = gauss(r);

// ---- section 1: qid hits through service.retrieve ----------------------------------------------
const queries = generateQueries(spec);
const pick = (m: number, offset = 0) => Array.from({ length: m }, (_, i) => queries[(Math.floor(r() * queries.length) + offset + i) % queries.length]!);
const brandCounts = [...idx.postings.brand].map(([v, rows]) => [v, rows.length] as const).sort((x, y) => y[1] - x[1]);
const catCounts = [...idx.postings.category].map(([v, rows]) => [v, rows.length] as const).sort((x, y) => y[1] - x[1]);
const nearest = (xs: readonly (readonly [string, number])[], target: number) => xs.reduce((best, x) => (Math.abs(x[1] - target) < Math.abs(best[1] - target) ? x : best));
const sortedPrices = (idx.prices.filter((p) => p !== null) as number[]).sort((x, y) => x - y);
const priceRange: FilterExpr = { op: "range", field: "price", gte: sortedPrices[Math.floor(sortedPrices.length * 0.4)]!, lt: sortedPrices[Math.floor(sortedPrices.length * 0.6)]! };
const midBrand = nearest(brandCounts, idx.n * 0.005);

async function timeRetrieve(reqs: RetrieveRequest[]) {
  const ms: number[] = [],
    stages: Record<string, number[]> = {},
    paths: Record<string, number> = {};
  for (const req of reqs) {
    const t0 = performance.now();
    const res: RetrieveResult = await service.retrieve(req);
    ms.push(performance.now() - t0);
    paths[res.path] = (paths[res.path] ?? 0) + 1;
    for (const [k, v] of Object.entries(res.timings)) (stages[k] ??= []).push(v);
  }
  return { ...stats(ms), n: reqs.length, paths, stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, percentile(v, 50)])) };
}
const req = (text: string, filters?: FilterExpr): RetrieveRequest => ({ query: text, k: 50, understand: false, relax: true, ...(filters ? { filters } : {}) });
await timeRetrieve(pick(500, 1).map((q) => req(q.text))); // warm-up: JIT, LanceDB handles
const sample = pick(QS);
const qidRows = [
  { label: "qid hit, first use (list decoded)", ...(await timeRetrieve(sample.map((q) => req(q.text)))) },
  { label: "qid hit, repeat (list cached)", ...(await timeRetrieve(sample.map((q) => req(q.text)))) },
  {
    label: `qid hit + brand eq ${midBrand[0]} (${((100 * midBrand[1]) / idx.n).toFixed(2)}%)`,
    ...(await timeRetrieve(sample.slice(0, Math.min(QS, 1000)).map((q) => req(q.text, { op: "eq", field: "brand", value: midBrand[0] })))),
  },
  { label: "qid hit + price range (~20%)", ...(await timeRetrieve(sample.slice(0, Math.min(QS, Q)).map((q) => req(q.text, priceRange)))) },
];
const fmtPaths = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([k, v]) => `${k}×${v}`)
    .join(" ");
const fmtStages = (s: Record<string, number>) =>
  ["qid", "encode", "search"]
    .filter((k) => s[k] !== undefined)
    .map((k) => `${k} ${f2(s[k]!)}`)
    .join(", ");
console.log(`\nqid path: service.retrieve, k=50, understand off, ${QS} random logged queries (original word order)\n`);
printTable(
  ["request", "n", "p50 ms", "p99 ms", "paths", "stage p50 ms"],
  qidRows.map((x) => [x.label, x.n, f2(x.p50), f2(x.p99), fmtPaths(x.paths), fmtStages(x.stages)]),
);

// ---- section 2: filtered vector search (the service's vectorSearch) vs exact -------------------
const centres = clusterCentres(spec);
const qvec = Array.from({ length: Q }, () => perturbedCentre(spec, centres, Math.floor(r() * spec.clusters), g));
const baseMs: number[] = [];
for (let i = 0; i < Math.min(Q, 20); i++) {
  const t0 = performance.now();
  exactTopK(idx.vectors, idx.dim, qvec[i]!, K, null, idx.n);
  baseMs.push(performance.now() - t0);
}
const baseline = stats(baseMs);
const kernelMs: number[] = [];
for (let i = 0; i < Math.min(Q, 20) && idx.kernel; i++) {
  const t0 = performance.now();
  idx.kernel.topK(qvec[i]!, K, null);
  kernelMs.push(performance.now() - t0);
}
const kernelBase = kernelMs.length ? stats(kernelMs) : null;
const top = brandCounts[0]!;
const bothCands = catCounts.map(([c]) => {
  const rows = matchingRows(
    {
      op: "and",
      filters: [
        { op: "eq", field: "brand", value: top[0] },
        { op: "eq", field: "category", value: c },
      ],
    },
    idx,
  )!;
  return [c, rows.length] as const;
});
const both = nearest(bothCands, idx.n * 0.003);
const rare = nearest(brandCounts, idx.n * 0.00005);
const cat25 = nearest(catCounts, idx.n * 0.025);
const filters: { label: string; filter: FilterExpr | null }[] = [
  { label: `brand eq ${top[0]} (popular)`, filter: { op: "eq", field: "brand", value: top[0] } },
  { label: `brand eq ${rare[0]} (rare)`, filter: { op: "eq", field: "brand", value: rare[0] } },
  {
    label: `brand ${top[0]} AND category ${both[0]}`,
    filter: {
      op: "and",
      filters: [
        { op: "eq", field: "brand", value: top[0] },
        { op: "eq", field: "category", value: both[0] },
      ],
    },
  },
  { label: `category eq ${cat25[0]}`, filter: { op: "eq", field: "category", value: cat25[0] } },
  { label: `price ${priceRange.op === "range" ? `${priceRange.gte}–${priceRange.lt}` : ""} (unanchored)`, filter: priceRange },
  { label: "no filter", filter: null },
];
// The engine's vector channel alone (exact in memory or LanceDB ANN, as the plan picks).
const vectorSearch = async (x: ReleaseIndex, q: Float32Array, k: number, filter: Filter | null, o: { exactLimit: number }) =>
  (
    await liveChannels({ ...x, lexical: null }, q, "", filter, k, {
      exactLimit: o.exactLimit,
      ...(x.info.index.kind === "exact" ? {} : { ann: (qq: Float32Array, kk: number, f: Filter | null) => annSearch(x, qq, kk, f) }),
    })
  ).vector;
const searchRows = [];
for (const f of filters) {
  const rows = f.filter ? matchingRows(f.filter, idx)! : null;
  const matches = rows ? rows.length : idx.n;
  // The plan vectorChannel picks: exact scan when the matching rows are at most exactLimit (or no index at all).
  const exactPlan = matches <= EXACT_LIMIT || (!idx.ivf && idx.info.index.kind === "exact");
  const annPlan = idx.ivf ? `in-memory IVF (${idx.ivf.lists} lists)` : `LanceDB ANN (${idx.info.index.kind})`;
  for (let i = 0; i < 5; i++) await vectorSearch(idx, qvec[i]!, K, f.filter, { exactLimit: EXACT_LIMIT }); // warm-up
  const ms: number[] = [];
  let recallSum = 0;
  for (let i = 0; i < Q; i++) {
    const t0 = performance.now();
    const hits = await vectorSearch(idx, qvec[i]!, K, f.filter, { exactLimit: EXACT_LIMIT });
    ms.push(performance.now() - t0);
    if (i < RQ) {
      const truth = exactTopK(idx.vectors, idx.dim, qvec[i]!, K, rows, idx.n);
      const got = new Set(hits.map((h) => h.row));
      recallSum += truth.length ? truth.filter((x) => got.has(x.row)).length / truth.length : 1;
    }
  }
  const s = stats(ms);
  searchRows.push({
    label: f.label,
    matches,
    selectivity: matches / idx.n,
    plan: exactPlan ? (idx.kernel ? "exact, SIMD kernel" : "exact in memory") : annPlan,
    ...s,
    recall: recallSum / RQ,
    vsBaseline: s.p50 / baseline.p50,
  });
}
console.log(
  `\nvector search: the service's vectorSearch (k=${K}), ${Q} query vectors = perturbed cluster centres; recall@${K} over the first ${RQ} vs exactTopK over the matching rows; exactLimit ${EXACT_LIMIT}\n`,
);
printTable(
  ["filter", "matches", "share", "plan", "p50 ms", "p99 ms", `recall@${K}`, "p50 vs full scan"],
  [
    ...searchRows.map((x) => [x.label, x.matches, `${(100 * x.selectivity).toFixed(2)}%`, x.plan, f2(x.p50), f2(x.p99), x.recall.toFixed(3), `${x.vsBaseline.toFixed(3)}×`]),
    ["baseline: exact scan of all rows", idx.n, "100%", "exactTopK, no filter", f2(baseline.p50), f2(baseline.p99), "1.000", "1.000×"],
    ...(kernelBase
      ? [["exact scan of all rows, SIMD kernel", idx.n, "100%", "VectorKernel.topK", f2(kernelBase.p50), f2(kernelBase.p99), "1.000", `${(kernelBase.p50 / baseline.p50).toFixed(3)}×`]]
      : []),
  ],
);

// End to end through service.retrieve on a qid miss, as serving runs it: query understanding, the
// encoder (hash encoder: where its vectors land is arbitrary; latency only), the vector channel,
// the BM25 channel over the catalog titles and the fusion. Each request runs three times in a row:
// as loaded (hybrid), with a popularity prior of 0.2, and with the lexical channel switched off on
// the same index (vectors alone: the in-run baseline), so all see the same load.
const MQ = Number(a["miss-queries"]);
const missTexts = generateMissQueries(spec, MQ * 2)
  .filter((text) => {
    const { qid, terms } = queryId(text);
    return idx.qidList(qid, terms) === null;
  })
  .slice(0, MQ);
const hybridChannels = { lexical: idx.lexical, blend: idx.blend, popularity: idx.popularity };
// The popularity prior's cost: the same hybrid search with a prior of 0.2 over a skewed synthetic
// popularity (the bench release has no click log: its stored popularity is all zeros).
const popRng = rng(spec.seed * 53 + 11);
const priorChannels = { ...hybridChannels, blend: { ...idx.blend, prior: 0.2 }, popularity: Float32Array.from({ length: idx.n }, () => popRng() ** 3) };
const missReq = (text: string, filters: FilterExpr | null): RetrieveRequest => ({ query: text, k: 50, understand: true, relax: true, ...(filters ? { filters } : {}) });
async function timeMiss(f: FilterExpr | null) {
  const both = { hybrid: [] as number[], prior: [] as number[], vector: [] as number[] };
  const stages: Record<string, number[]> = {},
    paths: Record<string, number> = {},
    channels: Record<string, number> = {};
  try {
    const modes = ["hybrid", "prior", "vector"] as const;
    for (const [i, text] of missTexts.entries()) {
      // Each query runs in all three modes, in an order rotated per query, so no mode always finds
      // the caches the one before it warmed.
      for (const mode of modes.map((_, j) => modes[(i + j) % modes.length]!)) {
        Object.assign(idx, mode === "hybrid" ? hybridChannels : mode === "prior" ? priorChannels : { lexical: null, blend: VECTOR_ONLY_BLEND });
        const t0 = performance.now();
        const res = await service.retrieve(missReq(text, f));
        both[mode].push(performance.now() - t0);
        if (mode !== "hybrid") continue;
        paths[res.path] = (paths[res.path] ?? 0) + 1;
        const ch = res.channels.join("+") || "none";
        channels[ch] = (channels[ch] ?? 0) + 1;
        for (const [k, v] of Object.entries(res.timings)) (stages[k] ??= []).push(v);
      }
    }
  } finally {
    Object.assign(idx, hybridChannels);
  }
  const q = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });
  const stageP50 = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, percentile(v, 50)]));
  return { n: missTexts.length, hybrid: q(both.hybrid), prior: q(both.prior), vector: q(both.vector), paths, channels, stages: stageP50 };
}
for (const text of missTexts.slice(0, 20)) await service.retrieve(missReq(text, null)); // warm-up
const missRows = [];
for (const f of [filters[5]!, ...filters.slice(0, 5)]) missRows.push({ label: `qid miss, ${f.label}`, ...(await timeMiss(f.filter)) });
// The BM25 channel alone, unfiltered, at the live depth: the pruned search serving runs against the
// exhaustive one (every posting scored), and whether their answers are equal (rows, order, scores).
const lexicalMs = { pruned: [] as number[], exhaustive: [] as number[], identical: 0 };
if (idx.lexical) {
  for (const text of missTexts) {
    const terms = queryId(text).terms;
    let t0 = performance.now();
    const pruned = idx.lexical.search(terms, LIVE_DEPTH);
    lexicalMs.pruned.push(performance.now() - t0);
    t0 = performance.now();
    const exhaustive = idx.lexical.search(terms, LIVE_DEPTH, { exhaustive: true });
    lexicalMs.exhaustive.push(performance.now() - t0);
    if (pruned.length === exhaustive.length && pruned.every((h, i) => h.row === exhaustive[i]!.row && h.score === exhaustive[i]!.score)) lexicalMs.identical++;
  }
}
const fmtMissStages = (s: Record<string, number>) =>
  ["understand", "encode", "search"]
    .filter((k) => s[k] !== undefined)
    .map((k) => `${k} ${f2(s[k]!)}`)
    .join(", ");
console.log(
  `\nqid miss through service.retrieve, k=50, understanding on, ${missTexts.length} catalog-like queries that miss the qid lists; ${idx.lexical ? `hybrid = vectors + BM25 fused at ${JSON.stringify(idx.blend)}` : "no BM25 channel in this release (--lexical off)"}; vectors alone = the same index with the BM25 channel off; + prior = hybrid with a popularity prior of 0.2\n`,
);
printTable(
  ["request", "n", "hybrid p50 ms", "hybrid p95 ms", "vectors alone p50 ms", "p95 ms", "p50 ratio", "+ prior 0.2 p50 ms", "p95 ms", "vs hybrid p50", "paths", "channels", "hybrid stage p50 ms"],
  missRows.map((x) => [
    ...[x.label, x.n, f2(x.hybrid.p50), f2(x.hybrid.p95), f2(x.vector.p50), f2(x.vector.p95), `${(x.hybrid.p50 / x.vector.p50).toFixed(2)}×`],
    ...[f2(x.prior.p50), f2(x.prior.p95), `${(x.prior.p50 / x.hybrid.p50).toFixed(2)}×`],
    fmtPaths(x.paths),
    fmtPaths(x.channels),
    fmtMissStages(x.stages),
  ]),
);
const lexicalRows = lexicalMs.pruned.length
  ? [
      { label: "pruned (MaxScore bounds, as served)", ms: lexicalMs.pruned },
      { label: "exhaustive (every posting scored)", ms: lexicalMs.exhaustive },
    ].map((x) => ({ label: x.label, p50: percentile(x.ms, 50), p95: percentile(x.ms, 95), vsExhaustive: percentile(x.ms, 50) / percentile(lexicalMs.exhaustive, 50) }))
  : [];
if (lexicalRows.length) {
  console.log(
    `\nBM25 channel alone: LexicalIndex.search, depth ${LIVE_DEPTH}, unfiltered, the same ${missTexts.length} queries; answers equal to the exhaustive search (rows, order, scores): ${lexicalMs.identical}/${missTexts.length}\n`,
  );
  printTable(
    ["search", "p50 ms", "p95 ms", "p50 vs exhaustive"],
    lexicalRows.map((x) => [x.label, f2(x.p50), f2(x.p95), `${x.vsExhaustive.toFixed(2)}×`]),
  );
}

// ---- section 3: HTTP with autocannon ------------------------------------------------------------
const KEY = "bench-read-key-0123456789abcdef";
const secs = Number(a["http-seconds"]);
const conns = Number(a.connections);
const server = await serveNode({
  service,
  host: "127.0.0.1",
  port: 0,
  config: { keys: [{ id: "bench", key: KEY, role: "read" }], rateLimit: null, host: "127.0.0.1" },
  // Request logs are written (one JSON line each, as in production) but to /dev/null.
  logger: pino({ level: "info" }, destination({ dest: "/dev/null", sync: false })),
});
const load = (job: Omit<LoadJob, "url" | "key">) => runLoad({ ...job, url: server.url, key: KEY });
const bodies = pick(2000, 7).map((q) => JSON.stringify({ query: q.text, k: 50, understand: false, relax: true }));
await load({ path: "/v1/retrieve", method: "POST", bodies, seconds: 2, connections: conns }); // warm-up
const httpRows = [
  { label: "GET /healthz (HTTP floor)", ...(await load({ path: "/healthz", method: "GET", bodies: [], seconds: Math.max(3, secs / 2), connections: conns })) },
  { label: "POST /v1/retrieve, qid hit (REST)", ...(await load({ path: "/v1/retrieve", method: "POST", bodies, seconds: secs, connections: conns })) },
];
await server.close();
console.log(`\nHTTP on 127.0.0.1: autocannon in a child process, ${conns} connections, read key, no rate limit, pino logs to /dev/null; 2,000 rotating qid-hit bodies\n`);
printTable(
  ["request", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "errors"],
  httpRows.map((x) => [x.label, Math.round(x.reqPerSec), x.p50, x.p99, x.total, x.non2xx, x.errors + x.timeouts]),
);

// ---- goals ---------------------------------------------------------------------------------------
const annRows = searchRows.filter((x) => !x.plan.startsWith("exact") && x.label !== "no filter");
const filteredRows = searchRows.filter((x) => x.label !== "no filter");
const unfiltered = searchRows.find((x) => x.label === "no filter")!;
const goals = [
  { goal: "qid hit p50 ≤ 0.3 ms (first use)", value: `${f2(qidRows[0]!.p50)} ms`, met: qidRows[0]!.p50 <= 0.3 },
  { goal: "qid hit p50 ≤ 0.3 ms (cached)", value: `${f2(qidRows[1]!.p50)} ms`, met: qidRows[1]!.p50 <= 0.3 },
  ...filteredRows.map((x) => ({ goal: `filtered search p50 ≤ 5 ms, recall ≥ 0.95: ${x.label} [${x.plan}]`, value: `${f2(x.p50)} ms, ${x.recall.toFixed(3)}`, met: x.p50 <= 5 && x.recall >= 0.95 })),
  {
    goal: `unfiltered search p50 ≤ 3 ms, recall ≥ 0.95 [${unfiltered.plan}]`,
    value: `${f2(unfiltered.p50)} ms, ${unfiltered.recall.toFixed(3)}`,
    met: unfiltered.p50 <= 3 && unfiltered.recall >= 0.95,
  },
  ...missRows.map((x) => ({
    goal: `qid-miss path${idx.lexical ? " with the hybrid channel" : ""} p50 ≤ 10 ms: ${x.label.replace("qid miss, ", "")}`,
    value: `${f2(x.hybrid.p50)} ms`,
    met: x.hybrid.p50 <= 10,
  })),
  { goal: "≥ 5,000 req/s for qid hits over HTTP", value: `${Math.round(httpRows[1]!.reqPerSec)} req/s`, met: httpRows[1]!.reqPerSec >= 5000 },
];
console.log(`\ngoals (issues 5, 16) — ${annRows.length} filtered row(s) went to an ANN index\n`);
printTable(
  ["goal", "measured", "met"],
  goals.map((x) => [x.goal, x.value, x.met ? "yes" : "NO"]),
);
console.log(
  `results: ${await writeResults("retrieve", { spec, build, memory, lexicalBuild, ivfTimes, baseline, kernelBase, qidRows, searchRows, missRows, lexicalRows, lexicalIdentical: lexicalMs.identical, httpRows, goals })}`,
);
await service.close();
process.exit(0);
