import type { HostLookup } from "./host-guard.ts";

/** Options for {@link createImageLoader}; every field but `cacheDir` has a default. */
export interface ImageLoaderOptions {
  /** Folder for the on-disk caches (fetched bytes and thumbnails); created if absent. */
  cacheDir: string;
  /** Side of the square RGB thumbnail in pixels; must be divisible by `grid` (default 64). */
  size?: number;
  /** Patches per side of the grid the model cuts thumbnails into (default 4 → 16 patches). */
  grid?: number;
  /** Per-attempt HTTP timeout in ms (default 10_000). */
  timeoutMs?: number;
  /** Extra attempts after a failed HTTP fetch on network error, timeout, 429 or 5xx (default 2); never on other 4xx. */
  retries?: number;
  /** Base backoff between retries in ms, doubled each attempt, with jitter (default 200). */
  backoffMs?: number;
  /** Most images fetched/decoded at once (default 8). */
  concurrency?: number;
  /** Largest accepted image in bytes (default 20 MiB); bigger is rejected as text-only. */
  maxBytes?: number;
  /** fetch implementation (default globalThis.fetch); injectable for runtimes/tests. */
  fetch?: typeof fetch;
  /** Fetch from loopback, private and link-local addresses too (default false: refused, as SSRF protection). */
  allowPrivateHosts?: boolean;
  /** Read local image paths outside the catalog file's folder (default false: confined to it). */
  allowOutsidePaths?: boolean;
  /** Host name → addresses, for the private-host check (default the system resolver; injectable for tests). */
  lookup?: HostLookup;
  /** Keep decoded images in `thumbs/<size>/` (default true); false for one-off sizes such as a backbone's input, whose results are cached elsewhere. */
  thumbnailCache?: boolean;
}

/** One image's outcome: a thumbnail, or the reason the item stays text-only. */
export type ImageResult =
  | {
      ok: true;
      /** size*size*3 RGB bytes, row-major. */
      thumb: Uint8Array;
      /** Side of the thumbnail in pixels. */
      size: number;
      /** sha256 (hex) of the source image bytes. */
      key: string;
      /** True when the thumbnail came from the on-disk cache (no decode). */
      cached: boolean;
      /** Where the bytes came from, as written in the catalog. */
      source: "file" | "http";
    }
  | {
      ok: false;
      /** Short and human readable, e.g. "http 404", "file not found: /x.png". */
      reason: string;
    };

/** Counters since the loader was created; one load call counts once in `loaded` or `failed`. */
export interface ImageLoaderStats {
  /** Loads that produced a thumbnail. */
  loaded: number;
  /** Loads that ended text-only. */
  failed: number;
  /** Loads answered from the thumbnail cache (no decode). */
  cacheHits: number;
  /** URLs fetched over the network (first attempts; retries are counted apart). */
  httpFetches: number;
  /** Extra HTTP attempts after a retryable failure. */
  retries: number;
  /** Body bytes received over HTTP and accepted. */
  bytesFetched: number;
  /** URLs whose bytes came from the on-disk fetch cache instead of the network. */
  httpCacheHits: number;
  /** Cache files that could not be written (the load still succeeds; the cache is an optimisation). */
  cacheWriteErrors: number;
}

/** Loads catalog images into thumbnails, with caches, retries and bounded concurrency. */
export interface ImageLoader {
  /** Load one image: `src` as written in the catalog, `baseDir` the catalog file's folder. */
  load(src: string, baseDir: string): Promise<ImageResult>;
  /** Load many with bounded concurrency; results in input order. */
  loadMany(items: { src: string; baseDir: string }[], onEach?: (done: number) => void): Promise<ImageResult[]>;
  /** Counters so far: loaded, failed, cacheHits, httpFetches, retries, bytesFetched (and a few more). */
  stats(): ImageLoaderStats;
}

/** Where an image comes from once `src` is resolved, or why it cannot be used. */
export type ImageSource = { kind: "http"; url: string } | { kind: "file"; path: string } | { kind: "invalid"; reason: string };
