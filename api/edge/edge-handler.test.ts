import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../../core/index.ts";
import { importData } from "../../ingest/index.ts";
import { solidImage } from "../../ingest/images/test-fixtures.ts";
import { publishRelease, pushReleaseToEdge, type KvBatch } from "../../lancedb/index.ts";
import { serveNode, type NodeServer } from "../node/index.ts";
import { createImageStore, createRetrievalService, type NodeImageStore, type RetrievalService } from "../service/index.ts";
import { createEdgeHandler, createEdgeStore, parseEdgeConfig, type EdgeHandler } from "./index.ts";
import type { ApiKey } from "../http/index.ts";

// The edge handler in Node (workerd runs it in test/edge-worker.test.ts) over a release pushed by
// the real push code into an in-memory KV, in front of the real Node origin: what browsers see at
// the edge — image links, CORS, search keys — matches the origin.
const SHOP = "https://shop.example";
const READ = "edge-read-key-0123456789";
const SEARCH = "edge-search-key-0123456789";
const keys: ApiKey[] = [
  { id: "app", key: READ, role: "read" },
  { id: "web", key: SEARCH, role: "search", origins: [SHOP] },
];
const COLOURS = { red: { r: 220, g: 20, b: 20 }, blue: { r: 20, g: 20, b: 220 }, green: { r: 20, g: 200, b: 20 } };

let dir: string;
let service: RetrievalService;
let images: NodeImageStore;
let origin: NodeServer;
let edge: EdgeHandler;
const forwarded: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-edge-handler-"));
  await mkdir(join(dir, "img"));
  const items: object[] = [];
  for (const [c, rgb] of Object.entries(COLOURS)) {
    for (let v = 0; v < 3; v++) {
      await writeFile(join(dir, "img", `${c}${v}.png`), await solidImage(40 + v, 40, rgb));
      items.push({ id: `${c}-dress-${v}`, title: `${c} dress ${v}`, category: "Dresses", image: `img/${c}${v}.png` });
    }
  }
  items.push({ id: "lost-dress", title: "red dress lost photo", category: "Dresses", image: "img/none.png" });
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  const clicks = Array.from({ length: 30 }, (_, i) => ({ query: "red dress", item_id: i % 2 ? "red-dress-0" : "lost-dress" }));
  await writeFile(join(dir, "clicks.jsonl"), clicks.map((x) => JSON.stringify(x)).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, evalFraction: 0 });
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 20 });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  images = createImageStore({ dataDir: data });
  origin = await serveNode({ service, images, port: 0, ui: false, config: { keys, corsOrigins: [], rateLimit: null, logLevel: "silent" } });
  const kv = new Map<string, string>();
  // An in-memory KV behind the real push code (the HTTP client's contract, no network).
  const writer = {
    stats: { requests: 0, retries: 0 },
    async putBatch(b: KvBatch) {
      for (const part of b.parts) {
        const { key, value } = JSON.parse(part) as { key: string; value: string };
        kv.set(key, value);
      }
    },
    async deleteBatch(keys: readonly string[]) {
      for (const k of keys) kv.delete(k);
    },
    async *listKeys(prefix: string) {
      for (const k of kv.keys()) if (k.startsWith(prefix)) yield k;
    },
    async get(key: string) {
      return kv.get(key) ?? null;
    },
  };
  await pushReleaseToEdge({ dataDir: data, writer });
  const doFetch: typeof fetch = (input, init) => {
    forwarded.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
    return fetch(input, init);
  };
  edge = createEdgeHandler({
    store: createEdgeStore({ kv: { get: async (k) => kv.get(k) ?? null }, pointerTtlMs: 0 }),
    originUrl: origin.url,
    keys,
    fetch: doFetch,
  });
}, 60_000);
afterAll(async () => {
  await origin?.close();
  await images?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

const retrieve = (base: string | null, body: object, headers: Record<string, string> = {}) => {
  const req = new Request(`${base ?? "https://edge.example"}/v1/retrieve`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${READ}`, ...headers },
    body: JSON.stringify(body),
  });
  return base === null ? edge.fetch(req) : fetch(req);
};

describe("edge handler: what browsers see", () => {
  it("answers a qid hit with image links at the origin (which serves /v1/images), exactly the origin's answer; an item without a usable image says null", async () => {
    const before = forwarded.length;
    const atEdge = await retrieve(null, { query: "red dress", k: 10 });
    expect(atEdge.headers.get("x-vitrine-edge")).toBe("hit");
    expect(forwarded.length).toBe(before);
    const edgeBody = (await atEdge.json()) as { items: { id: string; image: string | null }[]; timings: unknown };
    const originBody = (await (await retrieve(origin.url, { query: "red dress", k: 10 })).json()) as typeof edgeBody;
    expect({ ...edgeBody, timings: null }).toEqual({ ...originBody, timings: null });
    const byId = Object.fromEntries(edgeBody.items.map((i) => [i.id, i.image]));
    expect(byId["red-dress-0"]).toBe(`${origin.url}/v1/images/red-dress-0`);
    expect(byId["lost-dress"]).toBeNull();
    // The link works through the edge too: /v1/images is public and forwarded to the origin.
    const img = await edge.fetch(new Request("https://edge.example/v1/images/red-dress-0?size=thumb"));
    expect([img.status, img.headers.get("content-type"), img.headers.get("x-vitrine-edge")]).toEqual([200, "image/webp", "forward"]);
  });

  it("answers CORS preflights itself, and refuses a search key from another origin before forwarding anything", async () => {
    const before = forwarded.length;
    const pre = await edge.fetch(new Request("https://edge.example/v1/retrieve", { method: "OPTIONS", headers: { origin: SHOP, "access-control-request-method": "POST" } }));
    expect([pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([204, SHOP]);
    const ok = await retrieve(null, { query: "red dress", k: 3 }, { origin: SHOP, authorization: `Bearer ${SEARCH}` });
    expect([ok.status, ok.headers.get("x-vitrine-edge"), ok.headers.get("access-control-allow-origin")]).toEqual([200, "hit", SHOP]);
    expect(ok.headers.get("vary")).toMatch(/Origin.*authorization/);
    const other = await retrieve(null, { query: "red dress", k: 3 }, { origin: "https://evil.example", authorization: `Bearer ${SEARCH}` });
    expect(other.status).toBe(403);
    expect(forwarded.length).toBe(before);
    // What the edge forwards, the origin refuses alike (lookup: not a search operation).
    const lookup = await edge.fetch(new Request("https://edge.example/v1/lookup?query=red", { headers: { origin: SHOP, authorization: `Bearer ${SEARCH}` } }));
    expect([lookup.status, lookup.headers.get("x-vitrine-edge")]).toEqual([403, "forward"]);
  });
});

describe("edge config for browsers", () => {
  it("reads key origins, CORS origins and the public base URL with the origin's parser; a bad one names its variable", () => {
    const kv = { get: async () => null };
    const c = parseEdgeConfig({
      QIDS: kv,
      ORIGIN_URL: "https://api.shop.example/",
      VITRINE_API_KEYS: `web:${SEARCH}:search`,
      VITRINE_KEY_ORIGINS: `web=${SHOP}`,
      VITRINE_CORS_ORIGINS: "https://admin.shop.example",
      VITRINE_PUBLIC_BASE_URL: "https://cdn.shop.example",
    });
    expect(c).toMatchObject({ keys: [{ id: "web", role: "search", origins: [SHOP] }], corsOrigins: ["https://admin.shop.example"], publicBaseUrl: "https://cdn.shop.example" });
    expect(parseEdgeConfig({ QIDS: kv, ORIGIN_URL: "https://api.shop.example" })).toMatchObject({ corsOrigins: [], publicBaseUrl: null });
    expect(() => parseEdgeConfig({ QIDS: kv, ORIGIN_URL: "https://a.example", VITRINE_CORS_ORIGINS: "shop.example" })).toThrow(/^VITRINE_CORS_ORIGINS: /);
  });
});
