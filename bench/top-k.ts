// core/top-k.ts: the one exact top-K by inner product (serving's one-query scan, and the tiled
// multi-query scan behind publish's qid lists and eval's ground truth) against the one-query scan
// core had before (bench/support/top-k-baseline.ts), all measured in the same run, interleaved by
// round so load from other jobs hits every row alike. Data: clustered unit vectors (256 Gaussian
// centres + noise), queries = perturbed items; k = 200 (the live search's depth).
// Usage: npm run bench -- top-k [--items 100000] [--dim 128] [--queries 64] [--batch 512] [--rounds 5] [--k 200] [--seed 1]
import { parseArgs } from "node:util";
import { exactTopK, exactTopKBatch, mulberry32 } from "../core/index.ts";
import { percentile, printTable, writeResults } from "./bench-utils.ts";
import { baselineTopK } from "./support/top-k-baseline.ts";

const { values: a } = parseArgs({
  options: {
    items: { type: "string", default: "100000" },
    dim: { type: "string", default: "128" },
    queries: { type: "string", default: "64" },
    batch: { type: "string", default: "512" },
    rounds: { type: "string", default: "5" },
    k: { type: "string", default: "200" },
    seed: { type: "string", default: "1" },
  },
});
const N = Number(a.items),
  DIM = Number(a.dim),
  Q = Number(a.queries),
  B = Number(a.batch),
  R = Number(a.rounds),
  K = Number(a.k),
  SEED = Number(a.seed);
const log = (s: string) => console.error(s);

// ---- data ---------------------------------------------------------------------------------------
const rnd = mulberry32(SEED);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < v.length; j++) v[j]! *= inv;
  return v;
}
const centres = Array.from({ length: 256 }, () => unit(Float32Array.from({ length: DIM }, gauss)));
const items = new Float32Array(N * DIM);
for (let i = 0; i < N; i++) {
  const c = centres[Math.floor(rnd() * centres.length)]!;
  items.set(unit(Float32Array.from(c, (x) => x + (0.8 / Math.sqrt(DIM)) * gauss())), i * DIM);
}
const queries = Array.from({ length: Math.max(Q, B) }, () => {
  const o = Math.floor(rnd() * N) * DIM;
  return unit(Float32Array.from(items.subarray(o, o + DIM), (x) => x + (0.5 / Math.sqrt(DIM)) * gauss()));
});
// A filter's candidate set: 10% of the rows, ascending (as matchingRows gives them).
const subset = Uint32Array.from({ length: N }, (_, i) => i).filter(() => rnd() < 0.1);
log(`generated ${N} × ${DIM} items, ${queries.length} queries, candidate set of ${subset.length} rows`);

// ---- measure ------------------------------------------------------------------------------------
type Row = { label: string; perQuery: number[] };
const rows: Row[] = [
  { label: "baseline: old exactTopK, one query, all rows", perQuery: [] },
  { label: "exactTopK, one query, all rows", perQuery: [] },
  { label: "baseline: old exactTopK, one query, 10% rows", perQuery: [] },
  { label: "exactTopK, one query, 10% rows", perQuery: [] },
  { label: `exactTopKBatch, ${B} queries, all rows`, perQuery: [] },
];
const time = (f: () => void, count: number) => {
  const t = performance.now();
  f();
  return (performance.now() - t) / count;
};
const one = queries.slice(0, Q);
const many = queries.slice(0, B);
// Warm-up: every kernel compiled before the first timed round.
for (const q of one.slice(0, 8)) {
  baselineTopK(items, DIM, q, K, null, N);
  exactTopK(items, DIM, q, K, null, N);
  baselineTopK(items, DIM, q, K, subset, N);
  exactTopK(items, DIM, q, K, subset, N);
}
exactTopKBatch({ items, queries: many.slice(0, 32), dim: DIM, k: K });
for (let r = 0; r < R; r++) {
  rows[0]!.perQuery.push(
    time(() => {
      for (const q of one) baselineTopK(items, DIM, q, K, null, N);
    }, Q),
  );
  rows[1]!.perQuery.push(
    time(() => {
      for (const q of one) exactTopK(items, DIM, q, K, null, N);
    }, Q),
  );
  rows[2]!.perQuery.push(
    time(() => {
      for (const q of one) baselineTopK(items, DIM, q, K, subset, N);
    }, Q),
  );
  rows[3]!.perQuery.push(
    time(() => {
      for (const q of one) exactTopK(items, DIM, q, K, subset, N);
    }, Q),
  );
  rows[4]!.perQuery.push(time(() => exactTopKBatch({ items, queries: many, dim: DIM, k: K }), B));
  log(`round ${r + 1}/${R}: ${rows.map((x) => x.perQuery.at(-1)!.toFixed(2)).join(" / ")} ms/query`);
}

// ---- agreement ----------------------------------------------------------------------------------
// The batch must equal the one-query scan bit for bit; the old scan summed in another order, so it
// may differ where two scores are within rounding of each other.
const batch = exactTopKBatch({ items, queries: one, dim: DIM, k: K });
let identical = 0,
  sameAsOld = 0;
one.forEach((q, i) => {
  const single = exactTopK(items, DIM, q, K, null, N);
  if (single.every((h, j) => batch.rows[i]![j] === h.row && Object.is(batch.scores[i]![j], h.score)) && single.length === batch.rows[i]!.length) identical++;
  const old = baselineTopK(items, DIM, q, K, null, N);
  if (old.every((h, j) => single[j]?.row === h.row)) sameAsOld++;
});

// Ratios pair each round with the baseline's in the same round (load from other jobs varies by round).
const ratio = (i: number) =>
  percentile(
    rows[i]!.perQuery.map((x, r) => x / rows[i === 2 || i === 3 ? 2 : 0]!.perQuery[r]!),
    50,
  );
console.log(`\nexact top-${K} by inner product, ${N.toLocaleString("en")} × ${DIM} clustered unit vectors; ${R} interleaved rounds (${Q} queries one at a time, ${B} per batch)\n`);
printTable(
  ["scan", "ms/query p50", "min", "max", "vs baseline (p50 of per-round ratios)"],
  rows.map((x, i) => [x.label, percentile(x.perQuery, 50).toFixed(2), Math.min(...x.perQuery).toFixed(2), Math.max(...x.perQuery).toFixed(2), `${ratio(i).toFixed(3)}×`]),
);
console.log(`\nbatch identical to one-query exactTopK (rows, scores, ties): ${identical}/${Q} queries; old scan's order equal to the new: ${sameAsOld}/${Q}`);
if (identical !== Q) process.exitCode = 1;
const summary = Object.fromEntries(rows.map((x, i) => [x.label, { p50: percentile(x.perQuery, 50), ratio: ratio(i), rounds: x.perQuery }]));
console.log(`results: ${await writeResults("top-k", { items: N, dim: DIM, queries: Q, batch: B, rounds: R, k: K, seed: SEED, msPerQuery: summary, identical, sameAsOld })}`);
