import { describe, expect, it } from "vitest";
import { withImageUrls, type ImageSize, type ImageStore } from "./images.ts";
import { memoryService } from "./test-support/memory-service.ts";
import { ADMIN_KEY, KEYS, READ_KEY, trpcQuery, withKey } from "./test-support/fixtures.ts";
import { createApp, type AppOptions } from "./app.ts";
import type { RetrievalService } from "../service/types.ts";

type Json = Record<string, any>;
const json = async (r: Response | Promise<Response>) => (await (await r).json()) as Json;

// The catalog's raw references, as the service returns them: a relative path, a server path, a URL
// of the shop's old host. None may reach a client.
const RAW: Record<string, string | null> = { i1: "images/i1.png", i2: "/home/shop/catalog/i2.jpg", i3: "https://old-host.example/i3.png", i4: null };

function serviceWithImages(): RetrievalService {
  const s = memoryService();
  return {
    ...s,
    async retrieve(req) {
      const r = await s.retrieve(req);
      return { ...r, items: r.items.map((i) => ({ ...i, image: RAW[i.id] ?? null })) };
    },
    async getItems(ids, release) {
      return (await s.getItems(ids, release)).map((i) => ({ ...i, image: RAW[i.id] ?? null, textOnly: RAW[i.id] === null }));
    },
  };
}

/** An in-memory image store: i1 and i2 have images, counting reads. */
function memoryImages() {
  const reads: string[] = [];
  const store: ImageStore = {
    async open(id: string, size: ImageSize) {
      if (id !== "i1" && id !== "i2" && id !== "a/b c") return null;
      return {
        etag: `"${size[0]}-${id.length}"`,
        maxAge: 86_400,
        read: async () => {
          reads.push(`${id}:${size}`);
          return { bytes: new TextEncoder().encode(`${id}/${size}`), contentType: size === "thumb" ? "image/webp" : "image/png" };
        },
      };
    },
  };
  return { store, reads };
}

function app(overrides: Partial<AppOptions> = {}) {
  return createApp({ service: serviceWithImages(), keys: KEYS, images: memoryImages().store, ...overrides });
}

const imagesOf = (body: Json) => body.items.map((i: Json) => [i.id, i.image]);

describe("image links in answers", () => {
  it("every item of retrieve (REST and tRPC) and items.get (POST, GET, tRPC) carries an absolute URL of /v1/images, or null", async () => {
    const a = app();
    const expected = [
      ["i1", "http://localhost/v1/images/i1"],
      ["i2", "http://localhost/v1/images/i2"],
    ];
    const rest = await json(a.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "dress" } })));
    expect(imagesOf(rest)).toEqual(expected);
    const trpc = await json(a.request(trpcQuery("retrieve", { query: "dress" }), withKey(READ_KEY)));
    expect(imagesOf(trpc.result.data)).toEqual(expected);
    const all = [["i3", "http://localhost/v1/images/i3"], ...expected, ["i4", null]];
    const post = await json(a.request("/v1/items:get", withKey(READ_KEY, { body: { ids: ["i3", "i1", "i2", "i4"] } })));
    expect(imagesOf(post)).toEqual([all[0], all[1], all[2], all[3]]);
    const get = await json(a.request("/v1/items?ids=i3,i1,i2,i4", withKey(READ_KEY)));
    expect(imagesOf(get)).toEqual(imagesOf(post));
    const viaTrpc = await json(a.request(trpcQuery("items.get", { ids: ["i3", "i1", "i2", "i4"] }), withKey(READ_KEY)));
    expect(imagesOf(viaTrpc.result.data)).toEqual(imagesOf(post));
    // A tRPC batch: each call's items.
    const batch = (await (
      await a.request(`/trpc/retrieve,items.get?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { query: "dress" }, 1: { ids: ["i3"] } }))}`, withKey(READ_KEY))
    ).json()) as Json[];
    expect(imagesOf(batch[0]!.result.data)).toEqual(expected);
    expect(imagesOf(batch[1]!.result.data)).toEqual([all[0]]);
    // No raw catalog value or server path anywhere in the answers.
    for (const body of [rest, trpc, post, get, viaTrpc, batch]) expect(JSON.stringify(body)).not.toMatch(/old-host|\/home\/|images\/i1\.png|catalog/);
  });

  it("links start with the configured public base URL (a CDN), else the origin the request came to; ids are URL-encoded", async () => {
    const cdn = app({ publicBaseUrl: "https://cdn.shop.example/vitrine" });
    const body = await json(cdn.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "dress" } })));
    expect(imagesOf(body)[0]).toEqual(["i1", "https://cdn.shop.example/vitrine/v1/images/i1"]);
    const direct = await json(app().request("https://api.shop.example:8443/v1/items?ids=i1", withKey(READ_KEY)));
    expect(direct.items[0].image).toBe("https://api.shop.example:8443/v1/images/i1");
    expect(withImageUrls({ items: [{ id: "a/b c?é", image: "x.png" }] }, "https://h")).toEqual({ items: [{ id: "a/b c?é", image: "https://h/v1/images/a%2Fb%20c%3F%C3%A9" }] });
  });

  it("leaves answers without items, and objects that are not items, as they were", () => {
    const info = { id: "r001", active: true, retrieval: { blend: { method: "convex" } } };
    expect(withImageUrls(info, "https://h")).toBe(info);
    const jobs = { jobs: [{ id: "j1", items: 3 }] };
    expect(withImageUrls(jobs, "https://h")).toBe(jobs);
    const odd = { items: [1, "x", null, { id: "a" }] };
    expect(withImageUrls(odd, "https://h")).toEqual(odd);
    const proto = JSON.parse('{"__proto__":{"items":[{"id":"a","image":"x"}]}}') as object;
    const out = withImageUrls(proto, "https://h") as Json;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
  });
});

describe("GET /v1/images/:id", () => {
  it("is public (an <img> sends no key): the bytes with their type, ETag, Cache-Control and nosniff", async () => {
    const a = app();
    const r = await a.request("/v1/images/i1");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(r.headers.get("etag")).toBe('"o-2"');
    expect(r.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(await r.text()).toBe("i1/original");
    const thumb = await a.request("/v1/images/i2?size=thumb");
    expect([thumb.status, thumb.headers.get("content-type"), await thumb.text()]).toEqual([200, "image/webp", "i2/thumb"]);
    // An encoded id reaches the store decoded.
    expect(await (await a.request("/v1/images/a%2Fb%20c")).text()).toBe("a/b c/original");
  });

  it("answers 304 without reading the image when If-None-Match names its ETag", async () => {
    const { store, reads } = memoryImages();
    const a = app({ images: store });
    for (const inm of ['"o-2"', 'W/"o-2"', '"x", "o-2"', "*"]) {
      const r = await a.request("/v1/images/i1", { headers: { "if-none-match": inm } });
      expect([r.status, r.headers.get("etag"), await r.text()], inm).toEqual([304, '"o-2"', ""]);
    }
    expect(reads).toEqual([]);
    const stale = await a.request("/v1/images/i1", { headers: { "if-none-match": '"o-1"' } });
    expect(stale.status).toBe(200);
    expect(reads).toEqual(["i1:original"]);
  });

  it("an unknown id or an item without an image is a 404 in the error shape; a bad size a 400", async () => {
    const a = app();
    const missing = await a.request("/v1/images/i4");
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as Json;
    expect(body.error).toMatchObject({ code: "IMAGE_NOT_FOUND", message: expect.stringMatching(/no image for item "i4": the id is unknown, or the import could not load/) });
    expect(body.error.requestId).toBe(missing.headers.get("x-request-id"));
    const bad = await a.request("/v1/images/i1?size=huge");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "size" }] });
    // Without an image store (the edge Worker, which forwards the route), a clear 503.
    const none = await createApp({ service: memoryService(), keys: KEYS }).request("/v1/images/i1");
    expect([none.status, ((await none.json()) as Json).error.code]).toEqual([503, "UNAVAILABLE"]);
  });

  it("is in the OpenAPI document, public", async () => {
    const doc = (await json(app().request("/v1/openapi.json"))) as Json;
    expect(doc.paths["/v1/images/{id}"].get).toMatchObject({ operationId: "images.get", security: [], "x-access": "public" });
    expect(doc.paths["/v1/images/{id}"].get.parameters.map((p: Json) => p.name)).toEqual(["id", "size"]);
  });

  it("admin keys and keyless requests alike get the same image", async () => {
    const a = app();
    const keyed = await a.request("/v1/images/i1", withKey(ADMIN_KEY));
    expect([keyed.status, await keyed.text()]).toEqual([200, "i1/original"]);
  });
});
