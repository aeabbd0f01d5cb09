// Built-in datasets (DESIGN §2): generated in the same formats as any user's data.
import { demoItems, DEMO_TEMPLATES } from "./demo.ts";
import { DatasetError } from "./errors.ts";
import { FASHION_MNIST_DIR, FASHION_TEMPLATES, fashionItems } from "./fashion-mnist.ts";
import type { DatasetManifest, DatasetName, DatasetOptions, ResolvedOptions } from "./types.ts";
import { writeDataset } from "./write-dataset.ts";

export { DatasetError } from "./errors.ts";
export type { DatasetErrorCode } from "./errors.ts";
export type * from "./types.ts";
export { DATASET_FILES } from "./write-dataset.ts";
export { FASHION_MNIST_DIR } from "./fashion-mnist.ts";
// The demo shop's vocabulary: what its titles and queries are made of.
export { DEMO_BRANDS, DEMO_TYPES } from "./demo-vocab.ts";

/** Names generateDataset accepts. */
export const DATASET_NAMES: readonly DatasetName[] = ["demo", "fashion-mnist"];

/** Default item counts per dataset. */
export const DEFAULT_ITEMS: Record<DatasetName, number> = { demo: 2000, "fashion-mnist": 5000 };
/** Default seed. */
export const DEFAULT_SEED = 42;
/** Default share of titles naming the hidden attribute. */
export const DEFAULT_TITLE_ATTR_RATE = 0.4;
/** Default training click rows per item (2000 demo items → 15k rows). */
export const CLICKS_PER_ITEM = 7.5;

function invalid(field: string, why: string): DatasetError {
  return new DatasetError("BAD_OPTION", `${field} ${why}`);
}

/** Checks and fills in defaults; a bad value fails with its name. */
export function resolveOptions(name: DatasetName, options: DatasetOptions): { seed: number; resolved: ResolvedOptions } {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalid("seed", `must be an integer in 0..4294967295, got ${seed}`);
  const items = options.items ?? DEFAULT_ITEMS[name];
  if (!Number.isInteger(items) || items < 1) throw invalid("items", `must be a positive integer, got ${items}`);
  const titleAttrRate = options.titleAttrRate ?? DEFAULT_TITLE_ATTR_RATE;
  if (!(titleAttrRate >= 0 && titleAttrRate <= 1)) throw invalid("titleAttrRate", `must be between 0 and 1, got ${titleAttrRate}`);
  const clicks = options.clicks ?? Math.round(items * CLICKS_PER_ITEM);
  if (!Number.isInteger(clicks) || clicks < 0) throw invalid("clicks", `must be a non-negative integer, got ${clicks}`);
  if (!options.out) throw invalid("out", "is required: the folder to write the dataset to");
  return { seed, resolved: { items, titleAttrRate, clicks } };
}

/** Generates a built-in dataset into options.out and returns its manifest (also written as dataset.json). */
export async function generateDataset(name: DatasetName, options: DatasetOptions): Promise<DatasetManifest> {
  if (!DATASET_NAMES.includes(name)) {
    throw new DatasetError("UNKNOWN_DATASET", `unknown dataset "${String(name)}"; choose one of: ${DATASET_NAMES.join(", ")}`);
  }
  const { seed, resolved } = resolveOptions(name, options);
  const common = { name, seed, options: resolved, out: options.out, onProgress: options.onProgress };
  if (name === "demo") {
    const items = demoItems({ seed, items: resolved.items, titleAttrRate: resolved.titleAttrRate });
    return writeDataset({ ...common, items, templates: DEMO_TEMPLATES });
  }
  const items = await fashionItems({
    seed,
    items: resolved.items,
    titleAttrRate: resolved.titleAttrRate,
    sourceDir: options.sourceDir ?? FASHION_MNIST_DIR,
  });
  return writeDataset({ ...common, items, templates: FASHION_TEMPLATES });
}
