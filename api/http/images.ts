// Product images for storefronts: GET /v1/images/:id (a thumbnail or the original the import
// kept, with an ETag, Cache-Control and 304s), and the absolute URL every item in every answer
// carries instead of the catalog's raw reference (a relative path, a server path, a URL of the
// shop's old host). Runtime-agnostic: the bytes come from an ImageStore (on Node, the import's
// image cache: api/service/image-store.ts); the edge Worker has none and forwards the route.
//
// The route is public: a storefront shows images with <img src>, which cannot send an
// Authorization header, and a product image is what every visitor of the shop sees anyway. What
// it reveals is the image of an item id; it never runs a search, reads no body and does bounded
// work (disk reads and resizes behind a semaphore in the store, cached on disk).
import type { Context as HonoContext, Hono } from "hono";
import { LIMITS } from "../../core/index.ts";
import { rewriteJson } from "./json-rewrite.ts";
import { ApiError } from "./errors.ts";
import type { AppEnv } from "./app-env.ts";

/** The variants GET /v1/images/:id serves (`?size=`). */
export const IMAGE_SIZES = ["thumb", "original"] as const;

/** A variant: `thumb` (at most 256 px a side, WebP) or `original` (the bytes the import loaded). */
export type ImageSize = (typeof IMAGE_SIZES)[number];

/** One image ready to be sent. */
export interface ImageEntry {
  /** Strong entity tag, quoted (from the content hash the import recorded). */
  etag: string;
  /** Seconds browsers and CDNs may keep it before revalidating. */
  maxAge: number;
  /** Read the bytes; called only when the client's copy is stale. */
  read(): Promise<{ bytes: Uint8Array; contentType: string }>;
}

/** Where the images route gets images (the import's image cache on Node). */
export interface ImageStore {
  /** The image of an item in a variant, or null when the id is unknown or the item has no usable image. */
  open(id: string, size: ImageSize): Promise<ImageEntry | null>;
}

/** Path of an item's image, relative to the API's base URL. */
export function imagePath(id: string): string {
  return `/v1/images/${encodeURIComponent(id)}`;
}

/** The base URL image links use: the configured public one, else the request's own origin. */
export function imageBaseUrl(c: HonoContext, publicBaseUrl: string | null): string {
  return publicBaseUrl ?? new URL(c.req.url).origin;
}

type ItemLike = { id?: unknown; image?: unknown };

/**
 * An answer with each item's `image` replaced by its absolute URL (`base` + /v1/images/<id>), or
 * null where the item has none. Items are the objects with an `id` and an `image` in any `items`
 * list of the answer (retrieve, items.get, and whatever else answers with items, nested in a batch
 * too); everything else is returned as is, unchanged objects by identity.
 */
export function withImageUrls<T>(value: T, base: string): T {
  const item = (it: unknown): unknown => {
    if (typeof it !== "object" || it === null || !("image" in it)) return it;
    const x = it as ItemLike;
    const image = typeof x.image === "string" && typeof x.id === "string" ? `${base}${imagePath(x.id)}` : null;
    return image === x.image ? it : { ...x, image };
  };
  return rewriteJson(value, { field: (k, x) => (k === "items" && Array.isArray(x) ? x.map(item) : undefined), maxDepth: 6 });
}

/** Whether an If-None-Match header names this entity tag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const want = etag.replace(/^W\//, "");
  return (ifNoneMatch.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => t.replace(/^W\//, "") === want);
}

// An image is never a document: even opened directly it runs nothing (an SVG original is served as
// PNG by the store; this is the second wall), and pages of any origin may embed it.
const IMAGE_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
  "cross-origin-resource-policy": "cross-origin",
} as const;

/** Register GET /v1/images/:id (public; the gate lets it through without a key). */
export function mountImages(app: Hono<AppEnv>, images: ImageStore | null): void {
  app.get("/v1/images/:id", async (c) => {
    c.set("route", "/v1/images/:id");
    const id = c.req.param("id");
    const size = c.req.query("size") ?? "original";
    if (!(IMAGE_SIZES as readonly string[]).includes(size)) {
      throw new ApiError("INVALID_INPUT", `size must be ${IMAGE_SIZES.join(" or ")}, got ${JSON.stringify(size.slice(0, 40))}`, {
        issues: [{ field: "size", message: `use ${IMAGE_SIZES.join(" or ")}` }],
      });
    }
    if (id.length > LIMITS.idLength) throw new ApiError("INVALID_INPUT", `item ids are at most ${LIMITS.idLength} characters`, { issues: [{ field: "id", message: "too long" }] });
    if (!images) throw new ApiError("UNAVAILABLE", "this server has no image cache (the edge forwards /v1/images to the origin; a Node API serves them)");
    const entry = await images.open(id, size as ImageSize);
    if (!entry) {
      throw new ApiError(
        "IMAGE_NOT_FOUND",
        `no image for item ${JSON.stringify(id.slice(0, 200))}: the id is unknown, or the import could not load the item's image (its reason is in the import's rejects and summary)`,
      );
    }
    const headers = { ...IMAGE_HEADERS, etag: entry.etag, "cache-control": `public, max-age=${entry.maxAge}` };
    if (etagMatches(c.req.header("if-none-match"), entry.etag)) return c.body(null, 304, headers);
    const { bytes, contentType } = await entry.read();
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { ...headers, "content-type": contentType });
  });
}

/** The route's entry in the OpenAPI document. */
export function imagesOpenApiPath(): Record<string, unknown> {
  const error = { description: "", content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorResponse" } } } };
  return {
    get: {
      operationId: "images.get",
      summary: "An item's image: the original the import loaded, or a thumbnail (public: usable in <img src>)",
      description:
        "Items in every answer carry this URL, absolute, as `image` (null when the item has no usable image). Public, like the images of a storefront: " +
        "an <img> tag cannot send an API key. ETag and Cache-Control come with every image; a matching If-None-Match gets 304.",
      tags: ["retrieval"],
      security: [],
      "x-access": "public",
      parameters: [
        { name: "id", in: "path", required: true, description: "item id", schema: { type: "string" } },
        { name: "size", in: "query", required: false, description: "original (default) or thumb (at most 256 px a side, WebP)", schema: { type: "string", enum: [...IMAGE_SIZES] } },
      ],
      responses: {
        "200": {
          description: "the image",
          headers: { ETag: { schema: { type: "string" } }, "Cache-Control": { schema: { type: "string" } } },
          content: { "image/*": { schema: { type: "string", format: "binary" } } },
        },
        "304": { description: "not modified (If-None-Match named the current ETag)" },
        "400": { ...error, description: "bad size or id (INVALID_INPUT)" },
        "404": { ...error, description: "unknown item, or no usable image (IMAGE_NOT_FOUND)" },
        "503": { ...error, description: "too many image requests at once (UNAVAILABLE); retry" },
      },
    },
  };
}
