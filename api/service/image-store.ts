// The images behind GET /v1/images/:id, from the import's image cache (lancedb/image-cache.ts):
// the original the import loaded (content-addressed by the catalog row's image_key, so nothing is
// fetched or read from the catalog's folder per request), a thumbnail resized from it once and
// kept on disk, and — for imports made before originals were kept — the import's own small
// thumbnail as PNG. Work per request is bounded: a stat to answer a 304; reads, hashes and resizes
// run behind a semaphore that refuses (503) rather than queue without end. On an s3:// store the
// originals are in the store (images/<key>, put there by the import): one is fetched into this
// machine's working folder the first time it is asked for (bounded, checked against its key), and
// served from there on.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { Semaphore } from "../../core/index.ts";
import {
  defaultImageCacheDir,
  IMPORT_MANIFEST,
  IMPORT_TABLES,
  imageCacheLayout,
  isStoreUri,
  openStore,
  readDataFile,
  readImportManifest,
  readStoreImage,
  type ImageCacheLayout,
} from "../../lancedb/index.ts";
import { ApiError, type ImageEntry, type ImageSize, type ImageStore } from "../http/index.ts";
import { ServiceError } from "./types.ts";

/** Options of createImageStore. */
export interface ImageStoreOptions {
  /** Data directory (what `vitrine import` wrote). */
  dataDir: string;
  /** Longest side of `?size=thumb`, in pixels (default 256). */
  thumbSize?: number;
  /** Image reads, hashes and resizes at once (default 2). */
  concurrency?: number;
  /** Requests that may wait for a slot; more are refused with 503 UNAVAILABLE (default 64). */
  maxWaiting?: number;
  /** Cache-Control max-age of images, seconds (default 86400). */
  maxAge?: number;
  /** How often to look for a newer import (import.json), ms (default 2000). */
  checkMs?: number;
}

/** The image store, and a way to let go of it. */
export interface NodeImageStore extends ImageStore {
  /** Nothing to release but the index; here for symmetry with the other services. */
  close(): Promise<void>;
}

interface Index {
  /** Item id → image_key, for items whose image the import loaded. */
  keys: Map<string, string>;
  layout: ImageCacheLayout;
  /** Side of the import's own thumbnails (import.json imageSize). */
  importThumbSize: number;
  /** import.json's mtime when read (on a store URI, its content's hash). */
  version: number | string;
}

// Formats every current browser shows in <img>; anything else (SVG, TIFF, HEIF) goes out as PNG —
// an SVG can carry script, and the others do not display.
function browserType(b: Uint8Array): string | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && ascii(1, 4) === "PNG") return "image/png";
  if (ascii(0, 4) === "GIF8") return "image/gif";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  if (ascii(4, 8) === "ftyp" && ["avif", "avis"].includes(ascii(8, 12))) return "image/avif";
  return null;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function statOrNull(file: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

// Atomic: a reader never sees half a file; a failed write only costs the next request a resize.
async function writeAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Open the image store on a data directory (the catalog's image keys load at the first request). */
export function createImageStore(opts: ImageStoreOptions): NodeImageStore {
  const thumbSize = opts.thumbSize ?? 256;
  const maxAge = opts.maxAge ?? 86_400;
  const maxWaiting = opts.maxWaiting ?? 64;
  const checkMs = opts.checkMs ?? 2_000;
  const slots = new Semaphore(opts.concurrency ?? 2);
  let index: Index | null = null;
  let loading: Promise<Index | null> | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  // Originals whose hash was checked, by key: their size and mtime then (a changed file is checked again).
  const verified = new Map<string, { size: number; mtimeMs: number }>();
  const making = new Map<string, Promise<{ bytes: Uint8Array; contentType: string }>>();
  // Originals being fetched from the store (s3://), by key.
  const fetching = new Map<string, Promise<void>>();

  const inStore = isStoreUri(opts.dataDir);

  async function load(version: number | string): Promise<Index | null> {
    const manifest = await readImportManifest(opts.dataDir);
    const db = await openStore(opts.dataDir);
    const table = await db.openTable(IMPORT_TABLES.catalog);
    await table.checkout(manifest.tables[IMPORT_TABLES.catalog]!);
    const keys = new Map<string, string>();
    for await (const batch of table.query().select(["id", "image_key", "text_only"])) {
      const ids = batch.getChild("id")!;
      const ks = batch.getChild("image_key")!;
      const textOnly = batch.getChild("text_only")!;
      for (let i = 0; i < batch.numRows; i++) {
        const key = ks.get(i) as string | null;
        if (key && textOnly.get(i) !== true) keys.set(ids.get(i) as string, key);
      }
    }
    db.close();
    verified.clear();
    // On a store URI the importer's cache folder is another machine's: this one's working folder holds what it fetched.
    const cacheDir = inStore ? defaultImageCacheDir(opts.dataDir) : (manifest.imageCacheDir ?? defaultImageCacheDir(opts.dataDir));
    return { keys, layout: imageCacheLayout(cacheDir), importThumbSize: manifest.imageSize, version };
  }

  // The index of the latest complete import, reloaded when import.json changes (looked at every
  // checkMs, by one request at a time; the others keep the index they have meanwhile, and only the
  // first requests wait for the first load). While none can be read, no image is known.
  async function refresh(): Promise<Index | null> {
    const version = inStore
      ? createHash("sha256")
          .update((await readDataFile(opts.dataDir, IMPORT_MANIFEST).catch(() => null)) ?? "")
          .digest("hex")
      : ((await statOrNull(join(opts.dataDir, IMPORT_MANIFEST)))?.mtimeMs ?? -1);
    if (version === index?.version) return index;
    try {
      index = await load(version);
    } catch {
      // No complete import (yet), or it cannot be read: keep what there is.
    }
    return index;
  }
  async function current(): Promise<Index | null> {
    if (Date.now() - checkedAt >= checkMs && !loading) {
      checkedAt = Date.now();
      loading = refresh().finally(() => {
        loading = null;
      });
    }
    return index ?? (loading ? await loading : null);
  }

  /** Run bounded work, or refuse when too many wait already. */
  function bounded<T>(work: () => Promise<T>): Promise<T> {
    if (slots.waiting >= maxWaiting) return Promise.reject(new ServiceError("UNAVAILABLE", "too many image requests at once; retry in a moment (a CDN in front of /v1/images takes most of them)"));
    return slots.run(work);
  }

  /** The original's bytes when they are what the import loaded (their sha256 is the key), else null. */
  async function original(idx: Index, key: string): Promise<Uint8Array | null> {
    const file = join(idx.layout.originals, key);
    const bytes = await readFile(file).catch(() => null);
    if (!bytes || sha256(bytes) !== key) return null;
    return bytes;
  }

  /**
   * On a store URI: fetch original `key` from the store into this machine's cache (one fetch per key
   * at a time, behind the semaphore, at most STORE_IMAGE_MAX_BYTES, checked against the key). An
   * item whose original the store lacks was imported before imports put them there: refused naming the fix.
   */
  function fetchOriginal(idx: Index, id: string, key: string): Promise<void> {
    let p = fetching.get(key);
    if (!p) {
      p = bounded(async () => {
        const file = join(idx.layout.originals, key);
        const bytes = (await statOrNull(file)) ? null : await readStoreImage(opts.dataDir, key);
        if (bytes) {
          await mkdir(idx.layout.originals, { recursive: true }).catch(() => undefined);
          await writeAtomic(file, bytes);
        } else if (!(await statOrNull(file))) {
          throw new ApiError(
            "IMAGE_NOT_FOUND",
            `the image of item ${JSON.stringify(id.slice(0, 200))} is not in the store (${opts.dataDir}/images/${key.slice(0, 12)}…): imports before images were kept in the store left them on the importing machine; run \`vitrine import --out ${opts.dataDir}\` again, or point the catalog's images at URLs your CDN serves`,
          );
        }
      }).finally(() => fetching.delete(key));
      fetching.set(key, p);
    }
    return p;
  }

  /** Whether the original is there and unchanged since the import (hashed once per size and mtime). */
  async function hasOriginal(idx: Index, id: string, key: string): Promise<boolean> {
    if (inStore && !(await statOrNull(join(idx.layout.originals, key)))) await fetchOriginal(idx, id, key);
    const s = await statOrNull(join(idx.layout.originals, key));
    if (!s) return false;
    const seen = verified.get(key);
    if (seen && seen.size === s.size && seen.mtimeMs === s.mtimeMs) return true;
    const ok = (await bounded(() => original(idx, key))) !== null;
    if (ok) verified.set(key, s);
    return ok;
  }

  /** A derived file (thumbnail, PNG copy) from the served/ cache, made once (concurrent requests share the work). */
  function derived(idx: Index, key: string, name: string, contentType: string, make: (src: Uint8Array) => Promise<Uint8Array>) {
    return async () => {
      const dir = join(idx.layout.served, name);
      const file = join(dir, key);
      const id = `${name}/${key}`;
      let job = making.get(id);
      if (!job) {
        job = bounded(async () => {
          const cached = await readFile(file).catch(() => null);
          if (cached) return { bytes: new Uint8Array(cached), contentType };
          const src = await original(idx, key);
          if (!src) throw new ServiceError("UNAVAILABLE", "the image changed on disk while it was served; retry");
          const bytes = await make(src);
          await mkdir(dir, { recursive: true }).catch(() => undefined);
          await writeAtomic(file, bytes);
          return { bytes, contentType };
        }).finally(() => making.delete(id));
        making.set(id, job);
      }
      return job;
    };
  }

  /** The import's own small thumbnail (raw RGB) as PNG: what an import made before originals were kept can show. */
  async function importThumbnail(idx: Index, key: string): Promise<ImageEntry | null> {
    const S = idx.importThumbSize;
    const file = join(idx.layout.thumbs(S), `${key}.rgb`);
    const s = await statOrNull(file);
    if (!s || s.size !== S * S * 3) return null;
    return {
      etag: `"s${S}-${key}"`,
      // Short: a re-import that keeps the original replaces it.
      maxAge: 300,
      read: () =>
        bounded(async () => {
          const raw = await readFile(file);
          const bytes = await sharp(raw, { raw: { width: S, height: S, channels: 3 } })
            .png()
            .toBuffer();
          return { bytes: new Uint8Array(bytes), contentType: "image/png" };
        }),
    };
  }

  return {
    async open(id: string, size: ImageSize): Promise<ImageEntry | null> {
      const idx = await current();
      const key = idx?.keys.get(id);
      if (!idx || !key) return null;
      if (!(await hasOriginal(idx, id, key))) return importThumbnail(idx, key);
      if (size === "thumb") {
        const make = async (src: Uint8Array) => new Uint8Array(await sharp(src).rotate().resize(thumbSize, thumbSize, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80 }).toBuffer());
        return { etag: `"t${thumbSize}-${key}"`, maxAge, read: derived(idx, key, `thumb-${thumbSize}`, "image/webp", make) };
      }
      return {
        etag: `"o-${key}"`,
        maxAge,
        read: async () => {
          const bytes = await bounded(() => original(idx, key));
          if (!bytes) throw new ServiceError("UNAVAILABLE", "the image changed on disk while it was served; retry");
          const type = browserType(bytes);
          if (type) return { bytes, contentType: type };
          return derived(idx, key, "png", "image/png", async (src) => new Uint8Array(await sharp(src).png().toBuffer()))();
        },
      };
    },
    async close() {
      await loading?.catch(() => undefined);
    },
  };
}
