import path from "node:path";
import type { ImageSource } from "./types.ts";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
/** Longest slice of a bad value echoed in a reason (data: URLs can be megabytes). */
const ECHO_LIMIT = 80;

function echo(value: string): string {
  return value.length > ECHO_LIMIT ? `${value.slice(0, ECHO_LIMIT)}…` : value;
}

/**
 * Resolve a catalog `image` value: http(s) URL, absolute path, or a path relative to `baseDir`.
 * Local paths must lie inside `baseDir` (the catalog's folder) unless `allowOutsidePaths`: a
 * catalog is outside input, and "../../etc/passwd" must not make the importer open it.
 */
export function resolveImageSource(src: string, baseDir: string, opts: { allowOutsidePaths?: boolean } = {}): ImageSource {
  if (typeof src !== "string") throw new TypeError("resolveImageSource: src must be a string");
  if (typeof baseDir !== "string") throw new TypeError("resolveImageSource: baseDir must be a string");
  const value = src.trim();
  if (value === "") return { kind: "invalid", reason: "empty image source" };
  if (value.includes("\0")) return { kind: "invalid", reason: `unsupported image source: ${echo(JSON.stringify(value))}` };

  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== "http" && scheme !== "https") {
      return { kind: "invalid", reason: `unsupported image source: ${echo(value)}` };
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { kind: "invalid", reason: `invalid URL: ${echo(value)}` };
    }
    if (url.hostname === "") return { kind: "invalid", reason: `invalid URL: ${echo(value)}` };
    // The fragment never reaches the server, so it must not split the fetch cache either.
    url.hash = "";
    return { kind: "http", url: url.href };
  }
  // "//cdn/x.jpg" is a protocol-relative URL in scraped catalogs, not a POSIX path: guessing the scheme would hide the mistake.
  if (value.startsWith("//")) {
    return { kind: "invalid", reason: `protocol-relative URL (add http: or https:): ${echo(value)}` };
  }
  const resolved = path.isAbsolute(value) ? path.normalize(value) : path.resolve(baseDir, value);
  if (!opts.allowOutsidePaths) {
    const rel = path.relative(path.resolve(baseDir), resolved);
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
      return { kind: "invalid", reason: `image path outside the catalog's folder: ${echo(value)}; move the images beside the catalog or pass --allow-outside-paths` };
    }
  }
  return { kind: "file", path: resolved };
}
