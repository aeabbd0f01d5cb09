// Similar items on the demo: for every item, its 10 nearest items by its own vector (the API's
// similar, core/runSimilar, exact), and the share of them in the item's own category — against
// the share a random pick of 10 other items would have (chance), in the same run. Also the p50 /
// p95 time of one similar call. Default: the demo shop `vitrine datasets demo` makes (seed 42, 2,000 items) with a
// hash-encoder release (its item vectors hash the title, brand and category text); `--data DIR`
// measures the releases of another data directory (e.g. a copy of a trained demo).
// Usage: npm run bench -- similar [--data DIR] [--releases r002,r003] [--k 10]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHashEncoder, runSimilar } from "../core/index.ts";
import { DEFAULT_SEED, generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/index.ts";
import { listReleases, loadReleaseIndex, openRelease, publishRelease } from "../lancedb/index.ts";
import { BENCH_DATA, percentile, printTable, writeResults } from "./bench-utils.ts";

const { values: a } = parseArgs({ options: { data: { type: "string" }, releases: { type: "string" }, k: { type: "string", default: "10" } } });
const k = Number(a.k);

/** A demo shop imported with a hash-encoder release, built on first use under .data/bench. */
async function demoWithHashRelease(): Promise<string> {
  const src = join(BENCH_DATA, `demo-2000-s${DEFAULT_SEED}`);
  const dataDir = join(BENCH_DATA, `similar-2000-s${DEFAULT_SEED}`);
  if (!existsSync(join(src, "dataset.json"))) await generateDataset("demo", { out: src, items: 2000, seed: DEFAULT_SEED });
  if (!existsSync(join(dataDir, "store"))) await importData({ catalog: join(src, "catalog.jsonl"), clicks: join(src, "clicks.jsonl"), evalClicks: join(src, "clicks-eval.jsonl"), out: dataDir });
  if ((await listReleases(dataDir)).length === 0) await publishRelease({ dataDir, encoder: createHashEncoder() });
  return dataDir;
}

const dataDir = a.data ?? (await demoWithHashRelease());
const ids = a.releases ? a.releases.split(",") : (await listReleases(dataDir)).map((r) => r.id).reverse();
const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const id of ids) {
  const handles = await openRelease(dataDir, id);
  const idx = await loadReleaseIndex(handles);
  const perCategory = new Map<string, number>();
  for (const c of idx.categories) if (c) perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
  let same = 0,
    shown = 0,
    chance = 0,
    measured = 0;
  const ms: number[] = [];
  for (let row = 0; row < idx.n; row++) {
    const cat = idx.categories[row];
    if (!cat) continue;
    const t = performance.now();
    const r = await runSimilar(idx, { row, k }, { exactLimit: Number.POSITIVE_INFINITY });
    ms.push(performance.now() - t);
    same += r.hits.filter((h) => idx.categories[h.row] === cat).length;
    shown += r.hits.length;
    chance += (perCategory.get(cat)! - 1) / (idx.n - 1);
    measured++;
  }
  const share = same / shown;
  const base = chance / measured;
  rows.push([
    `${id} (${handles.info.model})`,
    measured,
    perCategory.size,
    (100 * share).toFixed(1),
    (100 * base).toFixed(1),
    (share / base).toFixed(1),
    percentile(ms, 50).toFixed(2),
    percentile(ms, 95).toFixed(2),
  ]);
  results.push({
    release: id,
    model: handles.info.model,
    items: measured,
    categories: perCategory.size,
    k,
    sameCategoryShare: share,
    chanceShare: base,
    lift: share / base,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
  });
}
console.log(`similar items: share of the top ${k} in the item's own category (every item of ${dataDir.replace(process.cwd(), ".")})`);
printTable(["release", "items", "categories", `same category @${k} %`, "chance %", "lift ×", "p50 ms", "p95 ms"], rows);
console.log(`results: ${await writeResults("similar", { dataDir, k, results })}`);
