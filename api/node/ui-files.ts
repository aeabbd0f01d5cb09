// The playground's and docs UI's files, read once from the repository (api/http/playground/,
// api/http/docs-ui/) and from the swagger-ui-dist package in node_modules: nothing is fetched from
// a CDN, so both pages work offline. Held in memory (about 1.6 MB, most of it Swagger UI's bundle)
// with a content hash as ETag.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { UiFile, UiFiles } from "../http/index.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
};

/** What the docs page takes from swagger-ui-dist. */
const SWAGGER_FILES = ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"];

const HTTP_DIR = fileURLToPath(new URL("../http/", import.meta.url));

function fileOf(path: string): UiFile {
  const body = new Uint8Array(readFileSync(path));
  return { body, contentType: TYPES[extname(path)] ?? "application/octet-stream", etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"` };
}

let loaded: Map<string, UiFile> | null = null;

/** The UI files (read at the first call, then shared by every server in the process). */
export function loadUiFiles(): UiFiles {
  if (!loaded) {
    const files = new Map<string, UiFile>();
    for (const [folder, prefix] of [
      ["playground", "playground"],
      ["docs-ui", "docs"],
    ] as const) {
      for (const name of readdirSync(join(HTTP_DIR, folder))) if (TYPES[extname(name)]) files.set(`${prefix}/${name}`, fileOf(join(HTTP_DIR, folder, name)));
    }
    const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    for (const name of SWAGGER_FILES) files.set(`docs/${name}`, fileOf(join(swagger, name)));
    loaded = files;
  }
  const files = loaded;
  return { get: (path) => files.get(path) ?? null };
}
