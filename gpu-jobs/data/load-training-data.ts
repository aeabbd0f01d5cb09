// Reads what training needs from a data directory `vitrine import` wrote, pinned to the table
// versions in its manifest (a re-import while a job runs never changes the job's data).
import type * as lancedb from "@lancedb/lancedb";
import { allTableNames, IMPORT_TABLES, openStore, readImportManifest } from "../../lancedb/index.ts";
import { TrainError } from "../errors.ts";

/** The catalog as columns: row i of every field is item i, in catalog-file order. */
export interface TrainingItems {
  /** Item ids. */
  ids: string[];
  /** Titles as imported (not normalised: the tokenizer normalises). */
  titles: string[];
  /** Brands (null when absent). */
  brands: (string | null)[];
  /** Categories, possibly paths "Women>Dresses" (null when absent). */
  categories: (string | null)[];
  /** true when the item has no usable image: its thumb is zeros and it trains on its title alone. */
  textOnly: boolean[];
  /** n×S×S×3 RGB bytes, row-major per item (zeros for text-only items). */
  thumbs: Uint8Array;
  /** S: thumbnail side in pixels (the import's imageSize). */
  thumbSize: number;
  /** Patch grid side the import was made for (4 → 16 patches). */
  grid: number;
  /** A frozen image backbone's features, when gpu-jobs/backbone attached them (a model with a backbone reads these, not thumbs). */
  features?: ItemFeatures;
}

/** Frozen backbone features of the catalog, row i for item i. */
export interface ItemFeatures {
  /** The backbone's features id (BackboneRecord.id): a model trained on other features refuses them. */
  id: string;
  /** Tokens per item. */
  tokens: number;
  /** Channels per token. */
  dim: number;
  /** n×tokens×dim values (zeros for items without features). */
  values: Float32Array;
  /** 1 where an item with an image got no features (its image could not be read again): text-only for this backbone. */
  missing: Uint8Array;
}

/** Query → item pairs, one per click-log row. */
export interface TrainingPairs {
  /** Canonical terms string of the query (segmented, sorted, space-joined: the clicks table's `terms`). */
  query: string[];
  /** Row of the clicked item in TrainingItems. */
  item: Int32Array;
  /** Clicks of the row (≥ 1). */
  weight: Float32Array;
}

/** Everything a pre-training or fine-tuning job reads from the data directory. */
export interface TrainingData {
  /** The catalog. */
  items: TrainingItems;
  /** Training pairs (table `clicks`). */
  pairs: TrainingPairs;
  /** Held-out pairs (table `clicks_eval`; empty when the import held none out). */
  evalPairs: TrainingPairs;
  /** Q(item) for logQ correction: (clicks on item + 1) / (all clicks + n), sums to 1. */
  itemFrequency: Float32Array;
  /** Table versions read, from the import manifest. */
  versions: Record<string, number>;
}

/** How to load. */
export interface LoadTrainingDataOptions {
  /** Skip thumbnails (thumbs is then empty), e.g. for a text-only model (default true = load them). */
  thumbs?: boolean;
  /** Allow a catalog without training pairs, e.g. for MLM/MPM-only runs (default false: NO_TRAINING_DATA). */
  allowNoPairs?: boolean;
  /** Receives a line about rows that could not be used (default: silent). */
  log?: (msg: string) => void;
}

/** Load catalog, training pairs, held-out pairs and item frequencies from an imported data directory. */
export async function loadTrainingData(dataDir: string, opts: LoadTrainingDataOptions = {}): Promise<TrainingData> {
  // The job CLI handles one error type: a missing or unfinished import is NO_TRAINING_DATA here.
  const manifest = await readImportManifest(dataDir).catch((err: unknown) => {
    throw new TrainError("NO_TRAINING_DATA", err instanceof Error ? err.message : String(err), { cause: err });
  });
  const versions = manifest.tables;
  const db = await openStore(dataDir);
  const names = new Set(await allTableNames(db));
  const open = async (name: string): Promise<lancedb.Table | null> => {
    const version = versions[name];
    if (version === undefined || !names.has(name)) return null;
    const t = await db.openTable(name);
    await t.checkout(version);
    return t;
  };
  const catalog = await open(IMPORT_TABLES.catalog);
  if (!catalog) throw new TrainError("NO_TRAINING_DATA", `${dataDir} has no catalog table; run \`vitrine import --catalog FILE --out ${dataDir}\``);
  const items = await readItems(catalog, manifest.imageSize, manifest.grid, opts);
  if (items.ids.length === 0) throw new TrainError("NO_TRAINING_DATA", `the catalog imported into ${dataDir} is empty; check rejects.jsonl there`);
  const rowOf = new Map(items.ids.map((id, i) => [id, i]));
  const pairs = await readPairs(await open(IMPORT_TABLES.clicks), rowOf, "clicks", opts);
  const evalPairs = await readPairs(await open(IMPORT_TABLES.clicksEval), rowOf, "clicks_eval", opts);
  if (pairs.query.length === 0 && !opts.allowNoPairs) {
    throw new TrainError("NO_TRAINING_DATA", `${dataDir} has no training clicks; import a click log with \`vitrine import --clicks FILE\``);
  }
  return { items, pairs, evalPairs, itemFrequency: itemFrequencyOf(pairs, items.ids.length), versions: { ...versions } };
}

/** Q(item) with add-one smoothing: (Σ weight of the item's pairs + 1) / (Σ weights + n); sums to 1. */
export function itemFrequencyOf(pairs: Pick<TrainingPairs, "item" | "weight">, n: number, weighted = true): Float32Array {
  const counts = new Float64Array(n).fill(1);
  let total = n;
  for (let i = 0; i < pairs.item.length; i++) {
    const w = weighted ? pairs.weight[i]! : 1;
    counts[pairs.item[i]!]! += w;
    total += w;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = counts[i]! / total;
  return out;
}

async function readItems(table: lancedb.Table, size: number, grid: number, opts: LoadTrainingDataOptions): Promise<TrainingItems> {
  const a = await table.query().select(["id", "title", "brand", "category", "text_only", "line"]).toArrow();
  const col = <T>(name: string): T[] => [...(a.getChild(name) ?? [])] as T[];
  const lines = col<number>("line");
  // Import writes rows in file order; order by line anyway so row i never depends on the scan.
  const order = lines.map((_, i) => i).sort((x, y) => lines[x]! - lines[y]!);
  const rowOfLine = new Map(order.map((src, row) => [lines[src]!, row]));
  const pick = <T>(name: string): T[] => {
    const c = col<T>(name);
    return order.map((i) => c[i]!);
  };
  const n = order.length;
  const textOnly = pick<boolean>("text_only");
  const bytes = size * size * 3;
  const thumbs = new Uint8Array(opts.thumbs === false ? 0 : n * bytes);
  if (opts.thumbs !== false) {
    // Thumbnails stream batch by batch: a 20k catalog is ~245 MB of pixels, held once.
    let bad = 0;
    for await (const batch of table.query().select(["line", "thumb"])) {
      const ls = batch.getChild("line")!;
      const ts = batch.getChild("thumb")!;
      for (let i = 0; i < batch.numRows; i++) {
        const row = rowOfLine.get(ls.get(i) as number)!;
        const thumb = ts.get(i) as Uint8Array | null;
        if (textOnly[row]) continue;
        if (!thumb || thumb.length !== bytes) {
          // A thumbnail of the wrong size never crashes a job: the item trains text-only.
          textOnly[row] = true;
          bad++;
          continue;
        }
        thumbs.set(thumb, row * bytes);
      }
    }
    if (bad > 0) opts.log?.(`${bad} item(s) had a missing or mis-sized thumbnail (expected ${size}×${size}×3); they train text-only`);
  }
  return { ids: pick("id"), titles: pick("title"), brands: pick("brand"), categories: pick("category"), textOnly, thumbs, thumbSize: size, grid };
}

async function readPairs(table: lancedb.Table | null, rowOf: Map<string, number>, name: string, opts: LoadTrainingDataOptions): Promise<TrainingPairs> {
  if (!table) return { query: [], item: new Int32Array(0), weight: new Float32Array(0) };
  const a = await table.query().select(["item_id", "clicks", "terms", "line"]).toArrow();
  const col = <T>(c: string): T[] => [...(a.getChild(c) ?? [])] as T[];
  const ids = col<string>("item_id");
  const clicks = col<number>("clicks");
  const terms = col<string>("terms");
  const lines = col<number>("line");
  const order = lines.map((_, i) => i).sort((x, y) => lines[x]! - lines[y]! || x - y);
  const query: string[] = [];
  const item: number[] = [];
  const weight: number[] = [];
  let missing = 0;
  for (const i of order) {
    const row = rowOf.get(ids[i]!);
    // Import checked every item_id against the catalog; a miss means the tables disagree.
    if (row === undefined || terms[i]!.length === 0) {
      missing++;
      continue;
    }
    query.push(terms[i]!);
    item.push(row);
    weight.push(Math.max(1, clicks[i]!));
  }
  if (missing > 0) opts.log?.(`${name}: ${missing} row(s) name an item not in the catalog or have no terms; skipped`);
  return { query, item: Int32Array.from(item), weight: Float32Array.from(weight) };
}
