// A served catalog at scale for bench/hostile.ts: bench/retrieve.ts's synthetic items (Zipf brands
// and categories, log-normal prices, material and size attributes; support/retrieve-data.ts) and
// logged queries, written as catalog.jsonl and clicks.jsonl, then taken through the real pipeline —
// `importData` and `publishRelease` with the hash encoder — so the release has what a published one
// has (items table with its scalar and vector indexes, qid lists, lexicon, BM25 at load). Cached
// under .data/bench by size and seed.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHashEncoder } from "../../core/index.ts";
import { importData } from "../../ingest/index.ts";
import { publishRelease } from "../../lancedb/index.ts";
import { BENCH_DATA, stageTimer } from "../bench-utils.ts";
import { clusterCentres, generateItems, generateQueries, rng, type SynthSpec } from "./retrieve-data.ts";

/** A built catalog: where it is and what it holds. */
export interface ServedCatalog {
  /** Data directory with release r001 active. */
  dataDir: string;
  /** The generator's spec (brands, categories, seed, ...). */
  spec: SynthSpec;
  /** Seconds per build stage (from the run that built it). */
  seconds: Record<string, number>;
  /** Whether a previous run's build was reused. */
  reused: boolean;
}

const META = "bench-meta.json";

/** The spec of an `items`-item catalog (bench/retrieve.ts's shape, `queries` logged queries). */
export function servedSpec(items: number, queries: number, seed: number): SynthSpec {
  return { items, qids: queries, seed, dim: 128, clusters: Math.max(10, Math.round(items / 100)), brands: Math.max(50, Math.round(items / 20)), categories: 300, listK: 100, ann: "ivf_hnsw_sq" };
}

/** Build (or reuse) the catalog's data directory with one published, active release. */
export async function ensureServedCatalog(spec: SynthSpec, log: (s: string) => void): Promise<ServedCatalog> {
  const dataDir = join(BENCH_DATA, `served-${spec.items}-${spec.qids}-${spec.seed}`);
  if (existsSync(join(dataDir, META))) {
    const meta = JSON.parse(await readFile(join(dataDir, META), "utf8")) as { seconds: Record<string, number> };
    return { dataDir, spec, seconds: meta.seconds, reused: true };
  }
  await rm(dataDir, { recursive: true, force: true });
  const src = join(dataDir, "src");
  await mkdir(src, { recursive: true });
  const seconds: Record<string, number> = {};
  const timed = stageTimer(seconds, log);
  const started = performance.now();
  await timed("generate catalog + clicks", async () => {
    const { cat } = generateItems(spec, clusterCentres(spec));
    const lines: string[] = [];
    for (let r = 0; r < cat.ids.length; r++) {
      lines.push(JSON.stringify({ id: cat.ids[r], title: cat.titles[r], brand: cat.brands[r], category: cat.categories[r], price: cat.prices[r], attributes: cat.attributes[r] }));
    }
    await writeFile(join(src, "catalog.jsonl"), `${lines.join("\n")}\n`);
    // Each logged query clicks three items: enough for publish to precompute its list.
    const r = rng(spec.seed * 7919 + 9);
    const clicks = generateQueries(spec).flatMap((q) => Array.from({ length: 3 }, () => JSON.stringify({ query: q.text, item_id: cat.ids[Math.floor(r() * cat.ids.length)] })));
    await writeFile(join(src, "clicks.jsonl"), `${clicks.join("\n")}\n`);
  });
  await timed("import", () => importData({ catalog: join(src, "catalog.jsonl"), clicks: join(src, "clicks.jsonl"), out: dataDir, images: false, evalFraction: 0 }));
  await timed("publish (hash encoder)", () => publishRelease({ dataDir, encoder: createHashEncoder({ dim: spec.dim }), topK: spec.listK }));
  seconds.total = (performance.now() - started) / 1000;
  await writeFile(join(dataDir, META), `${JSON.stringify({ spec, seconds }, null, 2)}\n`);
  return { dataDir, spec, seconds, reused: false };
}
