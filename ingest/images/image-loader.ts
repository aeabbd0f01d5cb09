import { mkdirSync } from "node:fs";
import { access, copyFile, link, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { decodeThumbnail } from "./decode-thumbnail.ts";
import { readCacheFile, sha256Hex, writeFileAtomic } from "./disk-cache.ts";
import { fetchImageBytes } from "./http-fetch.ts";
import { privateHostProblem, type HostLookup } from "./host-guard.ts";
import { resolveImageSource } from "./resolve-source.ts";
import { Semaphore } from "../../core/index.ts";
import { imageCacheLayout } from "../../lancedb/index.ts";
import type { ImageLoader, ImageLoaderOptions, ImageLoaderStats, ImageResult } from "./types.ts";

const DEFAULTS = {
  size: 64,
  grid: 4,
  timeoutMs: 10_000,
  retries: 2,
  backoffMs: 200,
  concurrency: 8,
  maxBytes: 20 * 1024 * 1024,
} as const;

type Settings = Required<Omit<ImageLoaderOptions, "fetch" | "lookup">> & { fetch: typeof fetch; lookup: HostLookup | undefined };
type Bytes = { ok: true; bytes: Uint8Array; fromNetwork: boolean } | { ok: false; reason: string };

function checkInteger(name: string, value: number, min: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`createImageLoader: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Fill defaults and reject bad options loudly, naming the option: these are config mistakes, not image trouble. */
function settle(options: ImageLoaderOptions): Settings {
  if (typeof options?.cacheDir !== "string" || options.cacheDir.trim() === "") {
    throw new TypeError("createImageLoader: cacheDir must be a non-empty path");
  }
  const s: Settings = {
    cacheDir: path.resolve(options.cacheDir),
    size: options.size ?? DEFAULTS.size,
    grid: options.grid ?? DEFAULTS.grid,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    retries: options.retries ?? DEFAULTS.retries,
    backoffMs: options.backoffMs ?? DEFAULTS.backoffMs,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
    // A wrapper, not the bare global: some fetch implementations need `this` to be globalThis.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    allowPrivateHosts: options.allowPrivateHosts ?? false,
    allowOutsidePaths: options.allowOutsidePaths ?? false,
    lookup: options.lookup,
  };
  checkInteger("size", s.size, 1);
  checkInteger("grid", s.grid, 1);
  if (s.size % s.grid !== 0) throw new RangeError(`createImageLoader: size ${s.size} must be divisible by grid ${s.grid}`);
  checkInteger("timeoutMs", s.timeoutMs, 1);
  checkInteger("retries", s.retries, 0);
  checkInteger("backoffMs", s.backoffMs, 0);
  checkInteger("concurrency", s.concurrency, 1);
  checkInteger("maxBytes", s.maxBytes, 1);
  if (typeof s.fetch !== "function") throw new TypeError("createImageLoader: fetch must be a function");
  return s;
}

function tooLarge(length: number, maxBytes: number): string {
  return `image too large: ${length} bytes > ${maxBytes}`;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Read a local image, turning every file-system problem into a reason. */
async function readLocal(file: string, maxBytes: number): Promise<Bytes> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, reason: `not a file: ${file}` };
    // Checked before reading so a stray multi-GB file is never pulled into memory.
    if (info.size > maxBytes) return { ok: false, reason: tooLarge(info.size, maxBytes) };
    const bytes = await readFile(file);
    if (bytes.length > maxBytes) return { ok: false, reason: tooLarge(bytes.length, maxBytes) };
    return { ok: true, bytes, fromNetwork: false };
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, reason: `file not found: ${file}` };
    return { ok: false, reason: `cannot read file: ${file} (${code})` };
  }
}

/** Create an image loader: resolve → read or fetch (cached) → decode once per distinct content (cached) → thumbnail. */
export function createImageLoader(options: ImageLoaderOptions): ImageLoader {
  const s = settle(options);
  const layout = imageCacheLayout(s.cacheDir);
  const httpDir = layout.http;
  const thumbDir = layout.thumbs(s.size);
  // Synchronous and throwing: an unusable cacheDir is a config mistake, better caught before any image.
  mkdirSync(httpDir, { recursive: true });
  mkdirSync(thumbDir, { recursive: true });
  mkdirSync(layout.originals, { recursive: true });

  const thumbBytes = s.size * s.size * 3;
  const limiter = new Semaphore(s.concurrency);
  // One in-flight job per distinct source: catalogs often repeat a placeholder URL, which should be fetched once.
  const inFlight = new Map<string, Promise<ImageResult>>();
  const counters: ImageLoaderStats = {
    loaded: 0,
    failed: 0,
    cacheHits: 0,
    httpFetches: 0,
    retries: 0,
    bytesFetched: 0,
    httpCacheHits: 0,
    cacheWriteErrors: 0,
  };

  async function cacheWrite(file: string, data: Uint8Array): Promise<void> {
    try {
      await writeFileAtomic(file, data);
    } catch {
      // The cache only saves work; a full disk must not turn good images into text-only items.
      counters.cacheWriteErrors++;
    }
  }

  // The original, content-addressed (the API serves it as GET /v1/images/:id without fetching or
  // reading the catalog's folder again). A hard link to the file already on disk (the catalog's
  // image, the fetch cache entry) costs no space; across file systems, or where linking is not
  // allowed, a copy; the bytes in memory as a last resort.
  async function keepOriginal(key: string, bytes: Uint8Array, onDisk: string | undefined): Promise<void> {
    const file = path.join(layout.originals, key);
    if (await exists(file)) return;
    if (onDisk !== undefined) {
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      for (const place of [link, copyFile]) {
        try {
          await place(onDisk, tmp);
          // The file may have changed since it was read: only its imported content may sit under the key.
          if (sha256Hex(await readFile(tmp)) === key) {
            await rename(tmp, file);
            return;
          }
        } catch {
          // Next way (or the bytes below).
        }
        await unlink(tmp).catch(() => undefined);
      }
    }
    await cacheWrite(file, bytes);
  }

  async function readHttp(url: string, cacheFile: string): Promise<Bytes> {
    const cached = await readCacheFile(cacheFile);
    if (cached !== undefined) {
      counters.httpCacheHits++;
      if (cached.length > s.maxBytes) return { ok: false, reason: tooLarge(cached.length, s.maxBytes) };
      return { ok: true, bytes: cached, fromNetwork: false };
    }
    counters.httpFetches++;
    const fetched = await fetchImageBytes(url, {
      timeoutMs: s.timeoutMs,
      retries: s.retries,
      backoffMs: s.backoffMs,
      maxBytes: s.maxBytes,
      fetch: s.fetch,
      onRetry: () => void counters.retries++,
      ...(s.allowPrivateHosts ? {} : { checkUrl: (u: string) => privateHostProblem(u, s.lookup) }),
    });
    if (!fetched.ok) return fetched;
    counters.bytesFetched += fetched.bytes.length;
    return { ok: true, bytes: fetched.bytes, fromNetwork: true };
  }

  async function work(source: { kind: "http"; url: string } | { kind: "file"; path: string }): Promise<ImageResult> {
    const httpCacheFile = source.kind === "http" ? path.join(httpDir, sha256Hex(source.url)) : undefined;
    const got = source.kind === "http" ? await readHttp(source.url, httpCacheFile!) : await readLocal(source.path, s.maxBytes);
    if (!got.ok) return got;

    const key = sha256Hex(got.bytes);
    const thumbFile = path.join(thumbDir, `${key}.rgb`);
    // Fetched bytes are cached only once they are known to be an image, so a transient HTML error page
    // served with 200 is fetched again next import instead of being stuck in the cache.
    const keepFetched = async (): Promise<void> => {
      if (got.fromNetwork && httpCacheFile !== undefined) await cacheWrite(httpCacheFile, got.bytes);
    };

    const hit = await readCacheFile(thumbFile);
    const onDisk = source.kind === "file" ? source.path : httpCacheFile;
    // Length check: a thumbnail of the wrong size (foreign or damaged file) is a miss, not a result.
    if (hit !== undefined && hit.length === thumbBytes) {
      await keepFetched();
      await keepOriginal(key, got.bytes, onDisk);
      return { ok: true, thumb: hit, size: s.size, key, cached: true, source: source.kind };
    }
    let thumb: Uint8Array;
    try {
      thumb = await decodeThumbnail(got.bytes, s.size);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: `corrupt image: ${message.trim().split("\n")[0]}` };
    }
    await cacheWrite(thumbFile, thumb);
    await keepFetched();
    await keepOriginal(key, got.bytes, onDisk);
    return { ok: true, thumb, size: s.size, key, cached: false, source: source.kind };
  }

  async function load(src: string, baseDir: string): Promise<ImageResult> {
    const source = resolveImageSource(src, baseDir, { allowOutsidePaths: s.allowOutsidePaths });
    let result: ImageResult;
    if (source.kind === "invalid") {
      result = { ok: false, reason: source.reason };
    } else {
      const id = source.kind === "http" ? `http:${source.url}` : `file:${source.path}`;
      let job = inFlight.get(id);
      if (job === undefined) {
        job = limiter.run(() => work(source)).finally(() => inFlight.delete(id));
        inFlight.set(id, job);
      }
      result = await job;
    }
    if (result.ok) {
      counters.loaded++;
      if (result.cached) counters.cacheHits++;
    } else {
      counters.failed++;
    }
    return result;
  }

  async function loadMany(items: { src: string; baseDir: string }[], onEach?: (done: number) => void): Promise<ImageResult[]> {
    const results = new Array<ImageResult>(items.length);
    let next = 0;
    let done = 0;
    // A pool of workers pulling indexes keeps only `concurrency` loads pending, however long the list.
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const index = next++;
        const item = items[index]!;
        results[index] = await load(item.src, item.baseDir);
        done++;
        onEach?.(done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.concurrency, items.length) }, worker));
    return results;
  }

  return { load, loadMany, stats: () => ({ ...counters }) };
}
