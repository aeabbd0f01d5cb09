// HTML helpers for the report: escaping and image references that work from the report folder.
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * An <img src> for a local image as seen from the report folder: URLs pass through; a path
 * (absolute, or relative to the current directory) becomes a relative URL, or file:// when it
 * sits on another drive, so the report opens straight from disk.
 */
export function imageSrc(reportDir: string, image: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image) || image.startsWith("data:")) return image;
  const abs = resolve(image);
  const rel = relative(resolve(reportDir), abs);
  if (isAbsolute(rel)) return pathToFileURL(abs).href;
  return rel.split(sep).map(encodeURIComponent).join("/");
}
