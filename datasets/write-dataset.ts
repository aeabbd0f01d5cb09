// Writes a generated dataset to disk in the user-facing formats (DESIGN §2) plus its truth files.
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateClicks, type QueryTemplate } from "./clicks.ts";
import type { GeneratedItem } from "./demo.ts";
import { DatasetError } from "./errors.ts";
import type { DatasetManifest, DatasetName, ResolvedOptions } from "./types.ts";

/** Inputs of writeDataset. */
export interface WriteDatasetInput {
  /** Dataset name. */
  name: DatasetName;
  /** Seed. */
  seed: number;
  /** Resolved options recorded in the manifest. */
  options: ResolvedOptions;
  /** Output folder. */
  out: string;
  /** The generated catalog. */
  items: readonly GeneratedItem[];
  /** Query templates for the click logs. */
  templates: readonly QueryTemplate[];
  /** Progress callback (images written of items). */
  onProgress?: (done: number, total: number) => void;
}

/** File names inside the output folder. */
export const DATASET_FILES: DatasetManifest["files"] = {
  catalog: "catalog.jsonl",
  images: "images",
  clicks: "clicks.jsonl",
  clicksEval: "clicks-eval.jsonl",
  judgments: "judgments.jsonl",
  truth: "truth.jsonl",
  queries: "queries.jsonl",
  manifest: "dataset.json",
};

// sharp runs on libuv's pool; a few renders in flight keep it busy without piling up buffers.
const RENDER_CONCURRENCY = 4;

/** Runs fn over 0..n-1 with at most `limit` in flight. */
export async function forEachLimit(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/**
 * Makes `out` ready: created when missing; a previous generated dataset is replaced; any other
 * non-empty folder is refused so user files are never deleted.
 */
async function prepareOut(out: string): Promise<void> {
  if (existsSync(out)) {
    const entries = await readdir(out);
    if (entries.length > 0) {
      if (!entries.includes(DATASET_FILES.manifest)) {
        throw new DatasetError("OUT_NOT_EMPTY", `output folder ${out} is not empty and holds no ${DATASET_FILES.manifest}; pass an empty or new folder`);
      }
      for (const f of Object.values(DATASET_FILES)) await rm(join(out, f), { recursive: true, force: true });
    }
  }
  await mkdir(join(out, DATASET_FILES.images), { recursive: true });
}

function jsonl(rows: readonly unknown[]): string {
  let s = "";
  for (const r of rows) s += `${JSON.stringify(r)}\n`;
  return s;
}

/** Renders images, samples clicks, writes every file and returns the manifest. */
export async function writeDataset(input: WriteDatasetInput): Promise<DatasetManifest> {
  const { out, items } = input;
  await prepareOut(out);
  const total = items.length;
  let done = 0;
  let imagesWritten = 0;
  input.onProgress?.(0, total);
  await forEachLimit(total, RENDER_CONCURRENCY, async (i) => {
    const item = items[i] as GeneratedItem;
    if (item.render && item.row.image) {
      await writeFile(join(out, item.row.image), await item.render());
      imagesWritten++;
    }
    done++;
    input.onProgress?.(done, total);
  });

  const trainRows = input.options.clicks;
  const clicks = generateClicks(
    items.map((it) => ({ id: it.row.id, truth: it.intent })),
    { seed: input.seed, trainRows, evalRows: Math.round(trainRows * 0.12), templates: input.templates },
  );
  const f = DATASET_FILES;
  await writeFile(join(out, f.catalog), jsonl(items.map((it) => it.row)));
  await writeFile(join(out, f.truth), jsonl(items.map((it) => it.truth)));
  await writeFile(join(out, f.clicks), jsonl(clicks.train));
  await writeFile(join(out, f.clicksEval), jsonl(clicks.eval));
  await writeFile(join(out, f.queries), jsonl(clicks.queries));
  await writeFile(join(out, f.judgments), jsonl(clicks.judgments));
  const manifest: DatasetManifest = {
    name: input.name,
    seed: input.seed,
    version: 1,
    options: input.options,
    counts: {
      items: items.length,
      imagesWritten,
      clicks: clicks.train.length,
      clicksEval: clicks.eval.length,
      queries: clicks.queries.length,
      judgments: clicks.judgments.length,
    },
    files: f,
  };
  await writeFile(join(out, f.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
