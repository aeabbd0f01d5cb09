// Test helper: a small deterministic shop (catalog + clicks) imported with the real importData.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importData } from "../ingest/index.ts";

/** Shape of the generated catalog. */
export interface ShopOptions {
  /** Items (default 400). */
  items?: number;
  /** Logged queries (distinct texts before qid folding; default 60). */
  queries?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** importedShop: import into this data directory (an s3:// URI, say) instead of a temp folder's data/. */
  out?: string;
  /** importedShop: the share of (query, item) pairs held out of training (default 0: none, so no blend fit). */
  evalFraction?: number;
}

export const BRANDS = ["Acme", "Nimbus", "Orla", "Zephyr", "Kito"];
export const CATEGORIES = ["Women>Dresses", "Women>Shoes", "Men>Shirts", "Men>Shoes", "Kids>Toys", "Home>Lamps"];
export const COLORS = ["red", "blue", "green", "black", "white"];
export const MATERIALS = ["cotton", "wool", "leather", "silk"];
const NOUNS = ["dress", "sneaker", "shirt", "boot", "lamp", "robot", "skirt", "jacket"];
const ADJ = ["floral", "striped", "classic", "summer", "soft", "bold", "slim", "cosy"];

/** mulberry32: tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generated catalog item as written to catalog.jsonl. */
export interface ShopItem {
  id: string;
  title: string;
  brand?: string;
  category?: string;
  price?: number;
  attributes?: Record<string, string>;
}

/** Generate a shop's items and click rows. */
export function makeShop(opts: ShopOptions = {}): { items: ShopItem[]; clicks: { query: string; item_id: string }[] } {
  const r = rng(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const items: ShopItem[] = [];
  for (let i = 0; i < (opts.items ?? 400); i++) {
    const attributes: Record<string, string> = {};
    if (r() < 0.8) attributes.color = pick(COLORS);
    if (r() < 0.5) attributes.material = pick(MATERIALS);
    if (i % 97 === 0) attributes.size_eu = String(36 + (i % 10));
    items.push({
      id: `sku-${String(i).padStart(5, "0")}`,
      title: `${pick(ADJ)} ${r() < 0.5 ? `${pick(COLORS)} ` : ""}${pick(NOUNS)}`,
      ...(r() < 0.9 ? { brand: pick(BRANDS) } : {}),
      ...(r() < 0.95 ? { category: pick(CATEGORIES) } : {}),
      ...(r() < 0.85 ? { price: Math.round(r() * 20_000) / 100 } : {}),
      ...(Object.keys(attributes).length ? { attributes } : {}),
    });
  }
  const clicks: { query: string; item_id: string }[] = [];
  for (let q = 0; q < (opts.queries ?? 60); q++) {
    const query = `${pick(ADJ)} ${pick(NOUNS)}${r() < 0.4 ? ` ${pick(COLORS)}` : ""}${r() < 0.3 ? ` ${pick(BRANDS)}` : ""}`;
    for (let c = 0; c < 3; c++) clicks.push({ query, item_id: pick(items).id });
  }
  return { items, clicks };
}

/** A temp data directory with the shop imported (text-only); `cleanup` removes it. */
export async function importedShop(opts: ShopOptions = {}): Promise<{ dataDir: string; items: ShopItem[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "vitrine-store-"));
  const { items, clicks } = makeShop(opts);
  const catalog = join(dir, "catalog.jsonl");
  const clickFile = join(dir, "clicks.jsonl");
  await writeFile(catalog, items.map((i) => JSON.stringify(i)).join("\n") + "\n");
  await writeFile(clickFile, clicks.map((c) => JSON.stringify(c)).join("\n") + "\n");
  const dataDir = opts.out ?? join(dir, "data");
  await importData({ catalog, clicks: clickFile, out: dataDir, images: false, evalFraction: opts.evalFraction ?? 0 });
  return { dataDir, items, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
