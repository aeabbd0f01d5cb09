// The pages the API serves to people: the playground (/playground, "/" redirects there) and the
// docs UI (/docs, Swagger UI over /v1/openapi.json). Static files only, public like the OpenAPI
// document: the pages ask for a key and send it with each call they make. Runtime-agnostic: the
// files come from a UiFiles (on Node, the repository's api/http/playground/ and docs-ui/ and the
// swagger-ui-dist package: api/node/ui-files.ts). The edge Worker has none: it forwards these
// routes to the origin like every route it does not answer itself.
import type { Hono } from "hono";
import { ApiError } from "./errors.ts";
import { etagMatches } from "./images.ts";
import type { AppEnv } from "./app-env.ts";

/** One static file. */
export interface UiFile {
  /** The bytes. */
  body: Uint8Array;
  /** Its Content-Type. */
  contentType: string;
  /** Strong entity tag, quoted (a hash of the bytes). */
  etag: string;
}

/** The pages' files by path: "playground/index.html", "docs/swagger-ui.css", ... */
export interface UiFiles {
  /** A file, or null when there is none by that name. */
  get(path: string): UiFile | null;
}

// The pages load nothing from elsewhere: scripts and styles from this server only (Swagger UI
// styles itself inline), API calls to this server, product images from wherever the image links
// point (a CDN), never framed.
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Register /, /playground(/…) and /docs(/…). */
export function mountUi(app: Hono<AppEnv>, files: UiFiles | null): void {
  const send = (route: string, path: string) =>
    app.get(route, (c) => {
      c.set("route", route);
      const name = path.includes(":file") ? path.replace(":file", c.req.param("file") ?? "") : path;
      const file = files?.get(name) ?? null;
      if (!file) {
        throw new ApiError("NOT_FOUND", files ? `no file /${name.slice(0, 200)}` : "the playground and docs are served by the Node API (vitrine serve); this server has none");
      }
      const headers: Record<string, string> = {
        etag: file.etag,
        // Revalidate every time (a 304 is cheap): a new version of the page shows at once.
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      };
      if (file.contentType.startsWith("text/html")) headers["content-security-policy"] = PAGE_CSP;
      if (etagMatches(c.req.header("if-none-match"), file.etag)) return c.body(null, 304, headers);
      return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { ...headers, "content-type": file.contentType });
    });
  app.get("/", (c) => {
    c.set("route", "/");
    return c.redirect("/playground", 302);
  });
  send("/playground", "playground/index.html");
  send("/playground/:file", "playground/:file");
  send("/docs", "docs/index.html");
  send("/docs/:file", "docs/:file");
}
