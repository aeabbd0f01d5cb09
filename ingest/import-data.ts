import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pairHeldOut, rowHeldOut, timeCutoff, type Item, type SplitMode } from "../core/index.ts";
import {
  CATALOG_SCHEMA,
  CLICK_SCHEMA,
  defaultImageCacheDir,
  imageCacheLayout,
  IMPORT_MANIFEST,
  IMPORT_TABLES,
  isStoreUri,
  JUDGMENT_SCHEMA,
  localDir,
  openStore,
  putStoreImages,
  TableWriter,
  type CatalogRow,
  type ClickRow,
  type ImportManifest,
  type ImportSummary,
  type JudgmentRow,
  writeDataFile,
} from "../lancedb/index.ts";
import { ImportError } from "./errors.ts";
import { createImageLoader, type ImageLoaderOptions } from "./images/index.ts";
import { checkSource, readRows } from "./read-rows.ts";
import { CATALOG_FIELDS, presetHint, type ColumnMap } from "./column-map.ts";
import { RejectsWriter, type RejectKind } from "./rejects.ts";
import { checkClick, checkItem, checkJudgment } from "./validate.ts";

/** Progress of a running import, for a progress bar. */
export interface ImportProgress {
  /** Which input is being read. */
  stage: "catalog" | "clicks" | "clicks_eval" | "judgments";
  /** Rows handled so far in this stage. */
  done: number;
}

/** What to import and where. */
export interface ImportOptions {
  /** Catalog file: .jsonl, .csv or .parquet. */
  catalog: string;
  /** Click log file (query → item); optional for a catalog-only import. */
  clicks?: string;
  /** Held-out clicks for evaluation; when absent, `evalFraction` of `clicks` is split off. */
  evalClicks?: string;
  /** Graded judgments `{ query, item_id, grade }` for evaluation (optional). */
  judgments?: string;
  /** Data directory: receives store/, rejects.jsonl, import.json and cache/ (an s3:// URI: store/ and import.json there, the rest in its local working folder). */
  out: string;
  /** Share held out for evaluation when no evalClicks file is given (default 0.1): of (query, item) pairs, rows, or the latest rows. */
  evalFraction?: number;
  /** How held-out clicks are chosen (default "pair": no held-out pair occurs in training; "time": the latest rows by `ts`; "row": random rows). */
  split?: SplitMode;
  /** Seed of the train/eval split (default 0). */
  seed?: number;
  /** Load images (default true); false imports every item text-only. */
  images?: boolean;
  /** Image cache folder (default `<out>/cache/images`). */
  cacheDir?: string;
  /** Image loader settings: thumbnail size, timeouts, retries, concurrency. */
  imageOptions?: Omit<ImageLoaderOptions, "cacheDir">;
  /** Catalog columns to rename to Vitrine's fields first (`--map`, `--columns shopify`). */
  columns?: ColumnMap;
  /** Called as rows are handled. */
  onProgress?: (p: ImportProgress) => void;
}

// Images load a chunk at a time: enough to keep the loader's concurrency busy, small enough that
// memory stays flat on 100k-item catalogs.
const IMAGE_CHUNK = 256;

const KNOWN_CATALOG_KEYS = new Set<string>(CATALOG_FIELDS);

/** Where an import's rejects go: `<out>/rejects.jsonl`, or in the local working folder of an s3:// store. */
export function rejectsPath(out: string): string {
  return join(localDir(out), "rejects.jsonl");
}

/** Import a catalog and click logs into `<out>/store`; bad rows go to `<out>/rejects.jsonl`. */
export async function importData(opts: ImportOptions): Promise<ImportSummary> {
  const evalFraction = opts.evalFraction ?? 0.1;
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new ImportError("BAD_OPTION", `evalFraction must be in [0, 1), got ${evalFraction}`);
  const out = isStoreUri(opts.out) ? opts.out : resolve(opts.out);
  // Every source is checked before anything is written: a mistyped path must not mark the
  // previous, complete import of `out` failed (publish and training would then refuse it).
  for (const file of [opts.catalog, opts.clicks, opts.evalClicks, opts.judgments]) if (file !== undefined) await checkSource(file);
  await mkdir(localDir(out), { recursive: true });
  // Mark the import as running first: a crash leaves a manifest that readers refuse, and an error
  // leaves it "failed" with the reason.
  await writeManifest(out, { state: "running", version: 1 });
  try {
    return await importInto(out, opts, evalFraction);
  } catch (e) {
    await writeManifest(out, { state: "failed", version: 1, error: (e as Error).message ?? String(e), failedAt: new Date().toISOString() }).catch(() => undefined);
    throw e;
  }
}

async function importInto(out: string, opts: ImportOptions, evalFraction: number): Promise<ImportSummary> {
  const started = performance.now();
  const warnings: string[] = [];

  const db = await openStore(out);
  const rejects = new RejectsWriter(rejectsPath(out));
  const imageCacheDir = resolve(opts.cacheDir ?? defaultImageCacheDir(out));
  const loader = opts.images === false ? null : createImageLoader({ ...opts.imageOptions, cacheDir: imageCacheDir });
  const summary: ImportSummary = {
    catalog: { read: 0, imported: 0, rejected: 0, textOnly: 0, imagesOk: 0, imagesFailed: 0, imageCacheHits: 0 },
    clicks: { read: 0, imported: 0, rejected: 0 },
    clicksEval: { read: 0, imported: 0, rejected: 0 },
    judgments: { read: 0, imported: 0, rejected: 0 },
    split: { mode: "pair", fraction: null, heldOutPairs: 0, heldOutPairsSeenInTraining: 0 },
    seconds: 0,
  };

  // Catalog.
  const catalogDir = dirname(resolve(opts.catalog));
  const items = new TableWriter<CatalogRow>(db, IMPORT_TABLES.catalog, CATALOG_SCHEMA);
  const seen = new Map<string, number>();
  const columnsSeen = new Set<string>();
  let continuationRows = 0;
  let firstReject: string | null = null;
  let chunk: { item: Item; line: number }[] = [];
  // On an s3:// store every API replica serves the images from the store, not this machine's cache:
  // each chunk's originals go there as the chunk is imported.
  const storeImages = loader && isStoreUri(out) ? { originals: imageCacheLayout(imageCacheDir).originals, failed: 0, first: "" } : null;
  const flushChunk = async () => {
    const withImage = chunk.filter((c) => c.item.image !== undefined && loader);
    const results = loader ? await loader.loadMany(withImage.map((c) => ({ src: c.item.image!, baseDir: catalogDir }))) : [];
    let r = 0;
    for (const { item, line } of chunk) {
      const img = item.image !== undefined && loader ? results[r++]! : null;
      const ok = img !== null && img.ok;
      if (img && img.ok) {
        summary.catalog.imagesOk++;
        if (img.cached) summary.catalog.imageCacheHits++;
      } else if (img) summary.catalog.imagesFailed++;
      if (!ok) summary.catalog.textOnly++;
      await items.push({
        id: item.id,
        title: item.title,
        brand: item.brand ?? null,
        category: item.category ?? null,
        price: item.price ?? null,
        image: item.image ?? null,
        attributes: item.attributes ? stableJson(item.attributes) : null,
        text_only: !ok,
        image_error: img && !img.ok ? img.reason : null,
        image_key: img && img.ok ? img.key : null,
        thumb: img && img.ok ? img.thumb : null,
        line,
      });
      summary.catalog.imported++;
    }
    if (storeImages) {
      const keys = results.flatMap((img) => (img.ok ? [img.key] : []));
      const { failed } = await putStoreImages(out, storeImages.originals, keys);
      if (failed.length && !storeImages.failed) storeImages.first = `${failed[0]!.key.slice(0, 12)}…: ${failed[0]!.reason}`;
      storeImages.failed += failed.length;
    }
    chunk = [];
    opts.onProgress?.({ stage: "catalog", done: summary.catalog.read });
  };
  for await (const row of readRows(opts.catalog, opts.columns)) {
    summary.catalog.read++;
    const reject = (reason: string, field?: string, id?: string) => {
      summary.catalog.rejected++;
      firstReject ??= `line ${row.line}: ${reason}`;
      rejects.add({ kind: "catalog", file: opts.catalog, line: row.line, reason, ...(field ? { field } : {}), ...(id ? { id } : {}) });
    };
    if ("error" in row) {
      reject(row.error);
      continue;
    }
    for (const k of Object.keys(row.value)) columnsSeen.add(k);
    // A row repeating an earlier id with no title is a platform export's variant/image row (Shopify).
    const title = row.value.title;
    if ((title === undefined || title === "") && typeof row.value.id === "string" && seen.has(row.value.id)) {
      continuationRows++;
      continue;
    }
    const checked = checkItem(row.value);
    const rawId = typeof row.value.id === "string" ? row.value.id : undefined;
    if (!checked.ok) {
      reject(checked.reason, checked.field, rawId);
      continue;
    }
    const first = seen.get(checked.value.id);
    if (first !== undefined) {
      reject(`duplicate id ${JSON.stringify(checked.value.id)} (first seen at line ${first}); ids must be unique`, "id", checked.value.id);
      continue;
    }
    seen.set(checked.value.id, row.line);
    chunk.push({ item: checked.value, line: row.line });
    if (chunk.length >= IMAGE_CHUNK) await flushChunk();
  }
  await flushChunk();
  if (summary.catalog.imported === 0 && summary.catalog.read > 0) {
    const missing = ["id", "title"].filter((c) => !columnsSeen.has(c));
    if (missing.length > 0) {
      throw new ImportError(
        "MISSING_COLUMNS",
        `${opts.catalog}: no ${missing.map((c) => `"${c}"`).join(" or ")} column (columns: ${[...columnsSeen].slice(0, 20).join(", ") || "none"}); rename them, or map them with --map id=Column,title=Column${presetHint(columnsSeen)}`,
      );
    }
    throw new ImportError("NOTHING_IMPORTED", `${opts.catalog}: none of the ${summary.catalog.read} rows could be imported (first: ${firstReject}); see ${rejectsPath(out)}`);
  }
  const ignored = [...columnsSeen].filter((k) => !KNOWN_CATALOG_KEYS.has(k));
  if (ignored.length > 0) {
    warnings.push(
      `catalog columns ignored: ${ignored.slice(0, 12).join(", ")}${ignored.length > 12 ? `, … (${ignored.length} in all)` : ""}; map one with --map field=Column, or name it attr.<key> to keep it as an attribute`,
    );
  }
  if (continuationRows > 0) warnings.push(`${continuationRows} catalog rows repeated an earlier id without a title (variant/image rows of a platform export) and were skipped`);
  const versions: Record<string, number> = { [IMPORT_TABLES.catalog]: await items.close() };
  if (storeImages?.failed) {
    warnings.push(`${storeImages.failed} image original(s) could not be put in the store (first: ${storeImages.first}); GET /v1/images answers 404 for those items: run the import again`);
  }
  const known = new Set(seen.keys());

  // Clicks: the training log, split into train and held-out eval unless an eval file is given.
  const train = new TableWriter<ClickRow>(db, IMPORT_TABLES.clicks, CLICK_SCHEMA);
  const held = new TableWriter<ClickRow>(db, IMPORT_TABLES.clicksEval, CLICK_SCHEMA);
  const split = opts.split ?? "pair";
  const seed = opts.seed ?? 0;
  const splitting = Boolean(opts.clicks && !opts.evalClicks && evalFraction > 0);
  // The time split needs the cut-off before the first row is placed: one cheap pass over the ts values.
  const cutoff = splitting && split === "time" ? await clickTimeCutoff(opts.clicks!, evalFraction) : null;
  const heldPairs = new Set<string>();
  const trainPairs = new Set<string>();
  const heldOut = (line: number, terms: string, itemId: string, ts: string | undefined): boolean => {
    if (split === "pair") return pairHeldOut(terms, itemId, seed, evalFraction);
    if (split === "row") return rowHeldOut(line, terms, itemId, seed, evalFraction);
    return ts !== undefined && cutoff !== null && Date.parse(ts) >= cutoff;
  };
  const readClicks = async (file: string, kind: RejectKind, split: boolean) => {
    const stats = kind === "clicks" ? summary.clicks : summary.clicksEval;
    for await (const row of readRows(file)) {
      stats.read++;
      const checked = "error" in row ? { ok: false as const, reason: row.error } : checkClick(row.value, known);
      if (!checked.ok) {
        stats.rejected++;
        const id = "value" in row && typeof row.value.item_id === "string" ? row.value.item_id : undefined;
        rejects.add({ kind, file, line: row.line, reason: checked.reason, ...("field" in checked && checked.field ? { field: checked.field } : {}), ...(id ? { id } : {}) });
        continue;
      }
      const c = checked.value;
      const rec: ClickRow = { query: c.query, item_id: c.item_id, clicks: c.clicks, purchases: c.purchases ?? null, ts: c.ts ?? null, qid: c.qid, terms: c.terms, line: row.line };
      // Seeded hashes (or the time cut-off), so the split is stable across re-imports.
      const toEval = kind === "clicks_eval" || (split && heldOut(row.line, c.terms, c.item_id, c.ts));
      (toEval ? heldPairs : trainPairs).add(`${c.terms}\u0000${c.item_id}`);
      if (toEval) {
        await held.push(rec);
        if (kind === "clicks") summary.clicksEval.imported++;
      } else await train.push(rec);
      stats.imported++;
      if (stats.read % 5_000 === 0) opts.onProgress?.({ stage: kind as ImportProgress["stage"], done: stats.read });
    }
  };
  if (opts.clicks) await readClicks(opts.clicks, "clicks", splitting);
  if (opts.clicks && !opts.evalClicks) summary.clicks.imported -= summary.clicksEval.imported;
  if (opts.evalClicks) await readClicks(opts.evalClicks, "clicks_eval", false);
  versions[IMPORT_TABLES.clicks] = await train.close();
  versions[IMPORT_TABLES.clicksEval] = await held.close();
  let seenPairs = 0;
  for (const p of heldPairs) if (trainPairs.has(p)) seenPairs++;
  summary.split = {
    mode: opts.evalClicks ? "file" : split,
    fraction: opts.evalClicks ? null : evalFraction,
    heldOutPairs: heldPairs.size,
    heldOutPairsSeenInTraining: seenPairs,
  };

  if (opts.judgments) {
    const judg = new TableWriter<JudgmentRow>(db, IMPORT_TABLES.judgments, JUDGMENT_SCHEMA);
    for await (const row of readRows(opts.judgments)) {
      summary.judgments.read++;
      const checked = "error" in row ? { ok: false as const, reason: row.error } : checkJudgment(row.value, known);
      if (!checked.ok) {
        summary.judgments.rejected++;
        rejects.add({ kind: "judgments", file: opts.judgments, line: row.line, reason: checked.reason, ...("field" in checked && checked.field ? { field: checked.field } : {}) });
        continue;
      }
      const j = checked.value;
      await judg.push({ query: j.query, item_id: j.item_id, grade: j.grade, qid: j.qid, terms: j.terms });
      summary.judgments.imported++;
    }
    versions[IMPORT_TABLES.judgments] = await judg.close();
  } else if ((await db.tableNames()).includes(IMPORT_TABLES.judgments)) {
    await db.dropTable(IMPORT_TABLES.judgments);
  }

  await rejects.close();
  if (loader) summary.catalog.imageCacheHits = loader.stats().cacheHits;
  summary.seconds = (performance.now() - started) / 1000;
  if (warnings.length > 0) summary.warnings = warnings;
  await writeManifest(out, {
    state: "complete",
    version: 1,
    sources: {
      catalog: resolve(opts.catalog),
      clicks: opts.clicks && resolve(opts.clicks),
      evalClicks: opts.evalClicks && resolve(opts.evalClicks),
      judgments: opts.judgments && resolve(opts.judgments),
    },
    evalFraction: opts.evalClicks ? null : evalFraction,
    split: opts.evalClicks ? "file" : split,
    seed: opts.seed ?? 0,
    imageSize: opts.imageOptions?.size ?? 64,
    grid: opts.imageOptions?.grid ?? 4,
    imageCacheDir,
    tables: versions,
    summary,
  });
  return summary;
}

/** The time split's cut-off over a click file's valid `ts` values; fails when none has one. */
async function clickTimeCutoff(file: string, fraction: number): Promise<number> {
  const ts: number[] = [];
  let rows = 0;
  for await (const row of readRows(file)) {
    if ("error" in row) continue;
    rows++;
    const t = typeof row.value.ts === "string" ? Date.parse(row.value.ts) : NaN;
    if (Number.isFinite(t)) ts.push(t);
  }
  const cut = timeCutoff(ts, fraction);
  if (cut === null) {
    throw new ImportError("BAD_OPTION", `--split time needs a ts on click rows, and none of the ${rows} rows in ${file} has one; use --split pair (the default) or add ts`);
  }
  return cut;
}

// Attribute objects are stored as JSON text with sorted keys so re-imports write identical rows.
function stableJson(o: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

async function writeManifest(out: string, m: ImportManifest): Promise<void> {
  await writeDataFile(out, IMPORT_MANIFEST, `${JSON.stringify(m, null, 2)}\n`);
}
