// Import throughput (items/s) on the demo catalog with images: cold image cache vs warm cache,
// against a text-only import of the same rows (the baseline measured in the same run).
// Usage: npm run bench -- import [--items 20000]
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/index.ts";
import { BENCH_DATA, printTable, writeResults } from "./bench-utils.ts";

const { values } = parseArgs({ options: { items: { type: "string", default: "20000" } } });
const items = Number(values.items);
const src = join(BENCH_DATA, `demo-${items}`);
if (!existsSync(join(src, "dataset.json"))) {
  const t0 = performance.now();
  await generateDataset("demo", { out: src, items, seed: 7 });
  console.error(`generated ${items} demo items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const catalog = join(src, "catalog.jsonl");
const clicks = join(src, "clicks.jsonl");
const out = join(BENCH_DATA, `import-${items}`);
await rm(out, { recursive: true, force: true });

async function run(label: string, images: boolean) {
  const s = await importData({ catalog, clicks, out, images, evalFraction: 0.1 });
  return { label, seconds: s.seconds, itemsPerSec: s.catalog.read / s.seconds, imagesOk: s.catalog.imagesOk, cacheHits: s.catalog.imageCacheHits, clicks: s.clicks.read };
}

const textOnly = await run("text only (baseline)", false);
const cold = await run("images, cold cache", true);
const warm = await run("images, warm cache", true);
const rows = [textOnly, cold, warm];
console.log(`\nimport of ${items} demo items (+ ${textOnly.clicks} click rows), 2-core machine\n`);
printTable(
  ["run", "seconds", "items/s", "images ok", "cache hits", "vs text-only"],
  rows.map((r) => [r.label, r.seconds.toFixed(2), Math.round(r.itemsPerSec), r.imagesOk, r.cacheHits, `${(r.seconds / textOnly.seconds).toFixed(2)}×`]),
);
console.log(`\nwarm cache is ${(cold.seconds / warm.seconds).toFixed(2)}× faster than cold`);
console.log(`results: ${await writeResults("import", { items, rows })}`);
