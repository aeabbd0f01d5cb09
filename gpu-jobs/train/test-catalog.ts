// A 64-item catalog for training tests: every item has its own two title words (its query) and
// a distinct solid-colour image, imported through the real importer.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { Tokenizer } from "../../encoders/index.ts";
import { importData } from "../../ingest/index.ts";
import type { TrainingData } from "../data/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { buildBatch, type HostBatch, type MaskRates } from "./batch.ts";

const WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa".split(" ");

/** Extra shape of the test catalog. */
export interface TrainingCatalogOptions {
  /** Give item i the category `c<i mod categories>` and an image whose hue shows it (default: no categories, a colour per item). */
  categories?: number;
  /** Thumbnail side of the import (default the importer's, 64). */
  imageSize?: number;
}

/** Write and import the catalog under `dir` (the last `brokenImages` items get a corrupt file; `evalFraction` of the clicks held out); returns the data directory. */
export async function makeTrainingCatalog(dir: string, items = 64, brokenImages = 0, evalFraction = 0, opts: TrainingCatalogOptions = {}): Promise<string> {
  await mkdir(join(dir, "img"), { recursive: true });
  const rows: object[] = [];
  const clicks: object[] = [];
  for (let i = 0; i < items; i++) {
    const a = WORDS[i % 16]!;
    const b = WORDS[(Math.floor(i / 16) + 4) % 16]!;
    // With categories, the colour tells the category (a hue per category, shaded per item), as a photo tells the product type.
    const c = opts.categories ? i % opts.categories : -1;
    const background = c >= 0 ? { r: (c * 97) % 256, g: 255 - ((c * 61) % 256), b: (c * 149 + i * 3) % 256 } : { r: (i * 37) % 255, g: (i * 91) % 255, b: (i * 53) % 255 };
    if (i >= items - brokenImages) await writeFile(join(dir, "img", `${i}.png`), "not a png");
    else
      await sharp({ create: { width: 32, height: 32, channels: 3, background } })
        .png()
        .toFile(join(dir, "img", `${i}.png`));
    rows.push({ id: `i${i}`, title: `${a} ${b} thing`, image: `img/${i}.png`, brand: "X", price: 1, ...(opts.categories ? { category: `c${i % opts.categories}` } : {}) });
    for (let r = 0; r < 3; r++) clicks.push({ query: `${a} ${b}`, item_id: `i${i}` });
  }
  await writeFile(join(dir, "catalog.jsonl"), rows.map((x) => JSON.stringify(x)).join("\n"));
  await writeFile(join(dir, "clicks.jsonl"), clicks.map((x) => JSON.stringify(x)).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, evalFraction, ...(opts.imageSize ? { imageOptions: { size: opts.imageSize } } : {}) });
  return data;
}

/** The `size` pairs after the first k·size (wrapping around) as step k's host batch, seed 1: a loss test's batches. */
export function batchAt(data: TrainingData, tokenizer: Tokenizer, mc: ModelConfig, k: number, size: number, rates: MaskRates): HostBatch {
  return buildBatch(
    data,
    tokenizer,
    mc,
    Int32Array.from({ length: size }, (_, i) => (k * size + i) % data.pairs.item.length),
    k,
    1,
    rates,
  );
}
