// The lexical channel: core's LexicalIndex (BM25 over typed-array postings, in process) against
// LanceDB 0.31 full-text search (the baseline, measured in the same run) on the same text.
// Data: a deterministic catalog (Zipf vocabulary of synthetic words plus fashion words, some
// plurals, 5% Chinese titles; Zipf brands, 3-level categories, colour/material attributes).
// LanceDB indexes the text core segmented and folded (whitespace tokenizer, DESIGN §10), so both
// sides see the same terms. Measures build time, query latency (unfiltered and with a selective
// brand prefilter) and agreement of the two top-10 lists.
// Usage: npm run bench -- lexical [--items 100000] [--queries 300] [--k 200] [--seed 1]
import "../lancedb/index.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import vm from "node:vm";
import * as lancedb from "@lancedb/lancedb";
import { createRng, lexicalDocTerms, LexicalIndex, lexicalTerms, type LexicalDoc, type Rng } from "../core/index.ts";
import { percentile, printTable, writeResults } from "./bench-utils.ts";

// LanceDB sizes its CPU pool at cores − 2 (at least 1 thread); with one thread the FTS build
// deadlocks once the posting lists fill more than one batch (lancedb/lancedb#3568; seen here at
// 100k items × 10k distinct terms). The pool starts lazily, so setting this before the first
// LanceDB call is enough.
process.env.LANCE_CPU_THREADS ??= "2";

const { values: a } = parseArgs({
  options: {
    items: { type: "string", default: "100000" },
    queries: { type: "string", default: "300" },
    k: { type: "string", default: "200" },
    seed: { type: "string", default: "1" },
  },
});
const N = Number(a.items),
  Q = Number(a.queries),
  K = Number(a.k),
  SEED = Number(a.seed);
const log = (s: string) => console.error(s);
const f2 = (x: number) => x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

// ---- catalog ------------------------------------------------------------------------------------
const SYL = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu", "he", "ja", "be", "co", "la", "mo", "ni"];
const FASHION = [
  "dress",
  "dresses",
  "shirt",
  "shirts",
  "skirt",
  "jeans",
  "coat",
  "jacket",
  "sneakers",
  "boots",
  "bag",
  "bags",
  "red",
  "blue",
  "black",
  "white",
  "floral",
  "striped",
  "slim",
  "loose",
  "summer",
  "winter",
  "vintage",
  "casual",
  "maxi",
  "mini",
  "lace",
  "wool",
];
const HAN = ["红色", "连衣裙", "夏季", "女装", "衬衫", "牛仔裤", "外套", "黑色", "白色", "碎花", "长袖", "短袖", "宽松", "修身"];
const COLOURS = ["red", "blue", "black", "white", "green", "pink", "grey", "navy", "beige", "brown", "yellow", "purple"];
const MATERIALS = ["cotton", "linen", "silk", "wool", "denim", "leather", "polyester", "nylon", "cashmere", "viscose"];

/** Zipf(s) rank sampler over 0..n-1 (inverse CDF). */
function zipf(n: number, s: number, r: Rng): () => number {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / Math.pow(i + 1, s);
  return () => {
    const u = r.next() * acc;
    let lo = 0,
      hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
/** Synthetic word i: its base-20 digits as syllables, at least two ("kalo", "mineru", …); distinct for distinct i. */
function word(i: number): string {
  let w = "";
  for (let x = i, d = 0; d < 2 || x > 0; d++, x = Math.floor(x / 20)) w += SYL[x % 20]!;
  return w;
}
// Vocabulary: fashion words at the head of the Zipf ranks, then 30,000 synthetic words.
const VOCAB = [...FASHION, ...Array.from({ length: 30_000 }, (_, i) => word(i + 1))];
const BRANDS = Array.from({ length: 2000 }, (_, i) => `${word(i + 37)[0]!.toUpperCase()}${word(i + 37).slice(1)}${i % 3 === 0 ? " Studio" : ""}`);
const CATS = Array.from(
  { length: 300 },
  (_, i) => `${["Women", "Men", "Kids", "Home", "Sports"][i % 5]}>${["Tops", "Dresses", "Pants", "Coats", "Shoes", "Bags"][Math.floor(i / 5) % 6]}>${word(i + 900)}`,
);

function generate(n: number, seed: number): { docs: LexicalDoc[]; brandRows: Map<string, number[]> } {
  const r = createRng(seed);
  const w = zipf(VOCAB.length, 1.0, r),
    b = zipf(BRANDS.length, 1.0, r),
    c = zipf(CATS.length, 0.9, r);
  const docs: LexicalDoc[] = [];
  const brandRows = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const brand = BRANDS[b()]!;
    const title = r.chance(0.05)
      ? Array.from({ length: r.int(2, 4) }, () => r.pick(HAN)).join("") // no spaces: jieba must cut it
      : Array.from({ length: r.int(3, 10) }, () => VOCAB[w()]!).join(" ");
    docs.push({ title, brand, category: CATS[c()]!, attributes: { colour: r.pick(COLOURS), material: r.chance(0.8) ? r.pick(MATERIALS) : null } });
    (brandRows.get(brand) ?? brandRows.set(brand, []).get(brand)!).push(i);
  }
  return { docs, brandRows };
}

function queries(q: number, seed: number): string[] {
  const r = createRng(seed * 31 + 7);
  const w = zipf(VOCAB.length, 0.9, r);
  return Array.from({ length: q }, () => {
    if (r.chance(0.05)) return Array.from({ length: r.int(1, 2) }, () => r.pick(HAN)).join("");
    return Array.from({ length: r.int(1, 3) }, () => (r.chance(0.1) ? r.pick(COLOURS) : VOCAB[w()]!)).join(" ");
  });
}

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const t0 = performance.now();
const { docs, brandRows } = generate(N, SEED);
const qs = queries(Q, SEED);
log(`generated ${N} items, ${Q} queries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- build ------------------------------------------------------------------------------------
// The first pass over the text warms jieba's wasm and the JIT; the second is the one timed, so the
// build below (which segments again) is compared on equal terms.
const texts = docs.map((d) => lexicalDocTerms(d).join(" "));
let t = performance.now();
for (const d of docs) lexicalDocTerms(d);
const segmentMs = performance.now() - t;
gc();
const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
t = performance.now();
const index = LexicalIndex.build(docs);
const ownBuildMs = performance.now() - t;
gc();
const ownBytes = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0;

const dir = await mkdtemp(join(tmpdir(), "vitrine-bench-lexical-"));
try {
  const db = await lancedb.connect(dir);
  t = performance.now();
  const table = await db.createTable(
    "items",
    docs.map((d, row) => ({ row, brand: d.brand!, text: texts[row]! })),
    { mode: "create" },
  );
  const writeMs = performance.now() - t;
  t = performance.now();
  // Text is already NFKC, lower case and folded: LanceDB must only split on spaces.
  await table.createIndex("text", {
    config: lancedb.Index.fts({ baseTokenizer: "whitespace", withPosition: false, lowercase: false, stem: false, removeStopWords: false, asciiFolding: false }),
  });
  const ftsMs = performance.now() - t;
  t = performance.now();
  await table.createIndex("brand", { config: lancedb.Index.bitmap() });
  const bitmapMs = performance.now() - t;

  console.log(
    `\nbuild: ${N.toLocaleString("en")} items, ${index.termCount().toLocaleString("en")} terms; segment + fold all items (shared by both, LanceDB gets the result): ${(segmentMs / 1000).toFixed(2)} s\n`,
  );
  const buildRows = [
    { label: "LexicalIndex.build (segments again inside)", ms: ownBuildMs },
    { label: "LexicalIndex.build minus segmentation", ms: ownBuildMs - segmentMs },
    { label: "LanceDB: write table (baseline part 1)", ms: writeMs },
    { label: "LanceDB: Index.fts whitespace (baseline part 2)", ms: ftsMs },
  ];
  const baseBuild = writeMs + ftsMs;
  printTable(
    ["step", "seconds", "vs LanceDB write + FTS"],
    [...buildRows.map((x) => [x.label, (x.ms / 1000).toFixed(2), `${(x.ms / baseBuild).toFixed(2)}×`]), ["LanceDB: bitmap index on brand (for the prefilter)", (bitmapMs / 1000).toFixed(2), "—"]],
  );
  console.log(`LexicalIndex memory (heap + array buffers after gc): ${mb(ownBytes)} MiB`);

  // ---- queries ----------------------------------------------------------------------------------
  // Selective brands: each with 0.2–1% of the rows, used in rotation.
  const selective = [...brandRows].filter(([, rows]) => rows.length >= N * 0.002 && rows.length <= N * 0.01).slice(0, 20);
  if (selective.length === 0) throw new Error("no brand with 0.2–1% of the rows; use more --items");
  const brandSets = selective.map(([brand, rows]) => ({ brand, rows: Uint32Array.from(rows) }));
  const sql = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const lanceText = (q: string) => [...new Set(lexicalTerms(q))].join(" ");

  async function lance(q: string, brand: string | null): Promise<{ row: number; score: number }[]> {
    const text = lanceText(q);
    if (!text) return [];
    let query = table.query().fullTextSearch(text).select(["row", "_score"]).limit(K); // naming _score avoids a deprecation warning
    if (brand !== null) query = query.where(`brand = ${sql(brand)}`);
    const rows = await query.toArray();
    return rows.map((x) => ({ row: Number(x.row), score: Number(x._score) }));
  }
  const own = (q: string, rows: Uint32Array | null) => index.search(q, K, { rows });

  type Hits = { row: number; score: number }[];
  async function measure(filtered: boolean) {
    const ownMs: number[] = [],
      lanceMs: number[] = [];
    const ownRes: Hits[] = [],
      lanceRes: Hits[] = [];
    for (let i = 0; i < Math.min(20, Q); i++) {
      own(qs[i]!, filtered ? brandSets[i % brandSets.length]!.rows : null);
      await lance(qs[i]!, filtered ? brandSets[i % brandSets.length]!.brand : null); // warm-up
    }
    for (let i = 0; i < Q; i++) {
      const set = brandSets[i % brandSets.length]!;
      let s = performance.now();
      ownRes.push(own(qs[i]!, filtered ? set.rows : null));
      ownMs.push(performance.now() - s);
      s = performance.now();
      lanceRes.push(await lance(qs[i]!, filtered ? set.brand : null));
      lanceMs.push(performance.now() - s);
    }
    return { ownMs, lanceMs, ownRes, lanceRes };
  }

  // Agreement of the two top-10s: plain overlap, overlap counting rows tied with our 10th score as
  // agreeing (synthetic titles tie a lot), and the relative difference of the scores of shared rows.
  function agreement(ownRes: Hits[], lanceRes: Hits[]) {
    let n = 0,
      overlap = 0,
      tieOverlap = 0,
      relDiff = 0,
      shared = 0,
      sameCount = 0;
    for (let i = 0; i < ownRes.length; i++) {
      const o = ownRes[i]!,
        l = lanceRes[i]!;
      if (o.length === l.length) sameCount++;
      const o10 = o.slice(0, 10),
        l10 = l.slice(0, 10);
      const m = Math.max(o10.length, l10.length);
      if (m === 0) continue;
      n++;
      const ownScore = new Map(o.map((h) => [h.row, h.score]));
      const mine = new Set(o10.map((h) => h.row));
      const floor = o10.at(-1)?.score ?? Infinity;
      overlap += l10.filter((h) => mine.has(h.row)).length / m;
      tieOverlap += l10.filter((h) => mine.has(h.row) || (ownScore.get(h.row) ?? -1) >= floor - 1e-9 * floor).length / m;
      for (const h of l10) {
        const s = ownScore.get(h.row);
        if (s !== undefined) {
          relDiff += Math.abs(h.score - s) / s;
          shared++;
        }
      }
    }
    return { queries: n, overlapAt10: overlap / n, overlapAt10UpToTies: tieOverlap / n, meanRelScoreDiff: shared ? relDiff / shared : NaN, sameResultCount: sameCount / ownRes.length };
  }

  const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), mean: xs.reduce((s, x) => s + x, 0) / xs.length });
  const runs = [];
  for (const filtered of [false, true]) {
    const m = await measure(filtered);
    const ownStats = stats(m.ownMs),
      base = stats(m.lanceMs);
    const agree = agreement(m.ownRes, m.lanceRes);
    const hits = m.ownRes.reduce((s, r) => s + r.length, 0) / Q;
    runs.push({ filter: filtered ? `brand eq (${brandSets.length} brands, 0.2–1% each)` : "none", own: ownStats, lance: base, agree, meanHits: hits });
  }
  console.log(`\nqueries: ${Q} of 1–3 words (5% Chinese), k = ${K}; baseline LanceDB fullTextSearch (+ where brand = … prefilter, bitmap index)\n`);
  printTable(
    ["engine", "filter", "p50 ms", "p95 ms", "mean ms", "p50 vs LanceDB"],
    runs.flatMap((x) => [
      ["LanceDB FTS (baseline)", x.filter, f2(x.lance.p50), f2(x.lance.p95), f2(x.lance.mean), "1.00×"],
      ["LexicalIndex", x.filter, f2(x.own.p50), f2(x.own.p95), f2(x.own.mean), `${(x.own.p50 / x.lance.p50).toFixed(3)}×`],
    ]),
  );
  console.log(`\nagreement of the top-10 lists (queries where either side found something)\n`);
  printTable(
    ["filter", "queries", "mean hits (own)", "overlap@10", "overlap@10 up to ties", "same #hits", "mean |Δscore|/score"],
    runs.map((x) => [
      x.filter,
      x.agree.queries,
      x.meanHits.toFixed(1),
      x.agree.overlapAt10.toFixed(3),
      x.agree.overlapAt10UpToTies.toFixed(3),
      x.agree.sameResultCount.toFixed(3),
      x.agree.meanRelScoreDiff.toExponential(2),
    ]),
  );
  const build = {
    segmentSeconds: segmentMs / 1000,
    ownBuildSeconds: ownBuildMs / 1000,
    lanceWriteSeconds: writeMs / 1000,
    lanceFtsSeconds: ftsMs / 1000,
    lanceBitmapSeconds: bitmapMs / 1000,
    ownMemoryMiB: ownBytes / 2 ** 20,
    terms: index.termCount(),
  };
  console.log(`results: ${await writeResults("lexical", { items: N, queries: Q, k: K, seed: SEED, build, runs })}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
