// Frozen backbone features for every catalog image, computed once per image and cached in the data
// directory (keyed by the image's content hash and the backbone's features id). A miss takes the
// image's original from the import's content-addressed store (or, for imports made before it kept
// originals, reads the catalog's `image` again as the import did; fetched URLs come from its byte
// cache), resizes it with sharp at the backbone's input size (letterboxed onto white, as the
// thumbnails are), normalises it as its JSON says, and runs the backbone. Training, finetune, eval
// and embed all go through here, so the item tower sees the same features everywhere.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { openImageBackbone, type BackboneDescription, type BackboneRecord, type ImageBackbone } from "../../encoders/index.ts";
import { createImageLoader, decodeThumbnail, type ImageLoader, type ImageResult } from "../../ingest/index.ts";
import { defaultImageCacheDir, imageCacheLayout, IMPORT_TABLES, openStore, readImportManifest } from "../../lancedb/index.ts";
import type { TrainingItems } from "../data/index.ts";
import { FeatureCache } from "./feature-cache.ts";

/** Images read and run per chunk: bounded memory on large catalogs. */
const CHUNK = 64;

/** Options of attachBackboneFeatures. */
export interface AttachOptions {
  /** Log lines (counts, images that could not be read again). */
  log?: (msg: string) => void;
  /** Progress over the images to compute (not called when every image is cached). */
  onProgress?: (done: number, total: number) => void;
  /** Called with the backbone session when a miss opens one (tests count its runs). */
  onOpen?: (backbone: ImageBackbone) => void;
}

/** What attaching did. */
export interface AttachResult {
  /** The backbone's record, tokens and channels included. */
  record: BackboneRecord;
  /** Distinct images whose features came from the cache. */
  cached: number;
  /** Distinct images run through the backbone now. */
  computed: number;
  /** Distinct images that could not be read again (their items count as text-only for this backbone). */
  failed: number;
  /** Backbone session runs (0 when everything was cached). */
  runs: number;
}

/** Each item's image source and content hash, by catalog row, from the import's pinned catalog table; the catalog's folder and the image cache. */
async function imageColumns(dataDir: string, ids: readonly string[]): Promise<{ src: (string | null)[]; key: (string | null)[]; baseDir: string; cacheDir: string }> {
  const manifest = await readImportManifest(dataDir);
  const db = await openStore(dataDir);
  const table = await db.openTable(IMPORT_TABLES.catalog);
  await table.checkout(manifest.tables[IMPORT_TABLES.catalog]!);
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const src: (string | null)[] = new Array(ids.length).fill(null);
  const key: (string | null)[] = new Array(ids.length).fill(null);
  for await (const batch of table.query().select(["id", "image", "image_key"])) {
    const idc = batch.getChild("id")!;
    const ic = batch.getChild("image")!;
    const kc = batch.getChild("image_key")!;
    for (let i = 0; i < batch.numRows; i++) {
      const r = rowOf.get(idc.get(i) as string);
      if (r === undefined) continue;
      src[r] = (ic.get(i) as string | null) ?? null;
      key[r] = (kc.get(i) as string | null) ?? null;
    }
  }
  return { src, key, baseDir: dirname(manifest.sources.catalog ?? dataDir), cacheDir: manifest.imageCacheDir ?? defaultImageCacheDir(dataDir) };
}

/** Compute (or read from the cache) the backbone's features of every catalog image and attach them to `items.features`. */
export async function attachBackboneFeatures(dataDir: string, items: TrainingItems, desc: BackboneDescription, opts: AttachOptions = {}): Promise<AttachResult> {
  const log = opts.log ?? (() => undefined);
  const cache = await FeatureCache.open(dataDir, desc.id);
  const known = await cache.meta();
  // Already attached (an eval scoring several runs of one backbone): nothing to do.
  if (known && items.features?.id === desc.id) return { record: { ...known, file: desc.file }, cached: 0, computed: 0, failed: 0, runs: 0 };
  const n = items.ids.length;
  const cols = await imageColumns(dataDir, items.ids);
  // Distinct images → the rows showing them (catalogs repeat placeholder images).
  const rowsOf = new Map<string, number[]>();
  items.ids.forEach((_, r) => {
    const k = cols.key[r];
    if (items.textOnly[r] || !k || !cols.src[r]) return;
    const list = rowsOf.get(k);
    if (list) list.push(r);
    else rowsOf.set(k, [r]);
  });
  let meta = known;
  // Features go straight into their rows (one copy in memory, however large the catalog).
  let values: Float32Array | null = null;
  const have = new Set<string>();
  const place = (k: string, v: Float32Array) => {
    for (const r of rowsOf.get(k)!) values!.set(v, r * v.length);
    have.add(k);
  };
  const misses: string[] = [];
  if (meta) {
    values = new Float32Array(n * meta.tokens * meta.featureDim);
    for (const k of rowsOf.keys()) {
      const v = await cache.read(k, meta.tokens * meta.featureDim);
      if (v) place(k, v);
      else misses.push(k);
    }
  } else misses.push(...rowsOf.keys());
  const cached = have.size;
  let backbone: ImageBackbone | null = null;
  const open = async (): Promise<ImageBackbone> => {
    if (backbone) return backbone;
    backbone = await openImageBackbone(desc);
    opts.onOpen?.(backbone);
    return backbone;
  };
  const recordOf = (tokens: number, featureDim: number): BackboneRecord => ({ file: desc.file, sha256: desc.sha256, id: desc.id, spec: desc.spec, grid: desc.grid, tokens, featureDim });
  const failures: string[] = [];
  let computed = 0;
  try {
    if (misses.length > 0) {
      log(`image encoder ${desc.file}: ${cached} image(s) cached, computing ${misses.length}`);
      const bb = await open();
      const originals = imageCacheLayout(cols.cacheDir).originals;
      let loader: ImageLoader | null = null;
      const srcOf = (k: string) => cols.src[rowsOf.get(k)![0]!]!;
      // The imported original when the import kept it; else the catalog's source read again.
      const load = async (k: string): Promise<ImageResult> => {
        const bytes = await readFile(join(originals, k)).catch(() => null);
        if (bytes) {
          try {
            return { ok: true, thumb: await decodeThumbnail(bytes, desc.spec.input.size), size: desc.spec.input.size, key: k, cached: false, source: "file" };
          } catch (e) {
            return { ok: false, reason: `corrupt image: ${(e as Error).message.split("\n")[0]}` };
          }
        }
        // allowOutsidePaths / allowPrivateHosts: every source here is one the import already accepted
        // under its own confinement (it has an image_key); this reads the same sources again.
        loader ??= createImageLoader({ cacheDir: cols.cacheDir, size: desc.spec.input.size, grid: 1, thumbnailCache: false, allowOutsidePaths: true, allowPrivateHosts: true });
        return loader.load(srcOf(k), cols.baseDir);
      };
      for (let o = 0; o < misses.length; o += CHUNK) {
        const keys = misses.slice(o, o + CHUNK);
        const loaded = await Promise.all(keys.map(load));
        const okKeys: string[] = [];
        const images: Uint8Array[] = [];
        loaded.forEach((res, i) => {
          const k = keys[i]!;
          if (!res.ok) failures.push(`${srcOf(k)}: ${res.reason}`);
          else if (res.key !== k) failures.push(`${srcOf(k)}: changed since the import (re-import to use the new image)`);
          else {
            okKeys.push(k);
            images.push(res.thumb);
          }
        });
        if (images.length > 0) {
          const f = await bb.features(images);
          if (!meta) {
            meta = recordOf(f.tokens, f.dim);
            await cache.writeMeta(meta);
            values = new Float32Array(n * f.tokens * f.dim);
          }
          for (let i = 0; i < okKeys.length; i++) {
            await cache.write(okKeys[i]!, f.values[i]!);
            place(okKeys[i]!, f.values[i]!);
          }
          computed += okKeys.length;
        }
        opts.onProgress?.(Math.min(o + CHUNK, misses.length), misses.length);
      }
    }
    if (!meta) {
      // No image could give features (a text-only catalog): one white image tells the shape.
      const size = desc.spec.input.size;
      const f = await (await open()).features([new Uint8Array(size * size * 3).fill(255)]);
      meta = recordOf(f.tokens, f.dim);
      await cache.writeMeta(meta);
      values = new Float32Array(n * f.tokens * f.dim);
    }
    // An item whose image the import read but this backbone could not: text-only for it.
    const missing = new Uint8Array(n);
    for (const [k, rows] of rowsOf) if (!have.has(k)) for (const r of rows) missing[r] = 1;
    items.features = { id: desc.id, tokens: meta.tokens, dim: meta.featureDim, values: values!, missing };
    if (failures.length > 0) {
      log(`image encoder: ${failures.length} image(s) could not be read again; their items count as text-only for it (first: ${failures.slice(0, 3).join("; ")})`);
    }
    return { record: recordOf(meta.tokens, meta.featureDim), cached, computed, failed: failures.length, runs: (backbone as ImageBackbone | null)?.runs ?? 0 };
  } finally {
    await (backbone as ImageBackbone | null)?.release();
  }
}
