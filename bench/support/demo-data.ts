// The demo catalog the training and embedding benchmarks share: generated (seed 7) and imported
// once under .data/bench, reused by later runs.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { generateDataset } from "../../datasets/index.ts";
import { importData } from "../../ingest/index.ts";
import { readImportManifest } from "../../lancedb/index.ts";
import { BENCH_DATA } from "../bench-utils.ts";

/** Data directory of an imported `items`-item demo catalog (thumbnails of `imageSize` px, default 64), built on first use. */
export async function ensureDemoData(items: number, imageSize = 64): Promise<string> {
  const src = join(BENCH_DATA, `demo-${items}`);
  const dataDir = join(BENCH_DATA, imageSize === 64 ? `train-${items}` : `train-${items}-px${imageSize}`);
  if (!existsSync(join(src, "dataset.json"))) await generateDataset("demo", { out: src, items, seed: 7 });
  if (
    !(await readImportManifest(dataDir).then(
      () => true,
      () => false,
    ))
  ) {
    await importData({
      catalog: join(src, "catalog.jsonl"),
      clicks: join(src, "clicks.jsonl"),
      evalClicks: join(src, "clicks-eval.jsonl"),
      out: dataDir,
      ...(imageSize === 64 ? {} : { imageOptions: { size: imageSize } }),
    });
  }
  return dataDir;
}
