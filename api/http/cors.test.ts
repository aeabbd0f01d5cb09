import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { memoryService } from "./test-support/memory-service.ts";
import { ADMIN_KEY, KEYS, READ_KEY, trpcQuery, withKey } from "./test-support/fixtures.ts";
import type { ApiKey } from "./auth.ts";

type Json = Record<string, any>;

const SHOP = "https://shop.example";
const ADMIN_UI = "https://admin.shop.example";
const SEARCH_KEY = "search-key-0123456789abcdef";
const OPEN_SEARCH_KEY = "open-search-key-0123456789";
const keys: ApiKey[] = [...KEYS, { id: "web", key: SEARCH_KEY, role: "search", origins: [SHOP] }, { id: "app", key: OPEN_SEARCH_KEY, role: "search" }];

function app() {
  const service = memoryService();
  return { service, app: createApp({ service, keys, corsOrigins: [ADMIN_UI], rateLimit: { perSecond: 1, burst: 100 } }) };
}

const from = (origin: string | null, key: string | null, init: Parameters<typeof withKey>[1] = {}) => withKey(key, { ...init, headers: { ...init.headers, ...(origin ? { origin } : {}) } });

describe("CORS", () => {
  it("answers a preflight before auth: 204 with the allowed methods and headers for a configured origin or a key's origin, none for others", async () => {
    const { app: a } = app();
    for (const origin of [SHOP, ADMIN_UI]) {
      const r = await a.request("/v1/retrieve", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
      expect(r.status, origin).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe(origin);
      expect(r.headers.get("access-control-allow-methods")).toContain("POST");
      expect(r.headers.get("access-control-allow-headers")).toMatch(/authorization.*content-type/);
      expect(r.headers.get("vary")).toMatch(/Origin/);
    }
    const other = await a.request("/trpc/retrieve", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(other.status).toBe(204);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("puts Access-Control-Allow-Origin on answers and errors for an allowed origin, exposing x-request-id", async () => {
    const { app: a } = app();
    const ok = await a.request("/v1/retrieve", from(ADMIN_UI, READ_KEY, { body: { query: "dress" } }));
    expect([ok.status, ok.headers.get("access-control-allow-origin")]).toEqual([200, ADMIN_UI]);
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id");
    const denied = await a.request("/v1/retrieve", from(ADMIN_UI, null, { body: { query: "dress" } }));
    expect([denied.status, denied.headers.get("access-control-allow-origin")]).toEqual([401, ADMIN_UI]);
    const elsewhere = await a.request("/v1/retrieve", from("https://evil.example", READ_KEY, { body: { query: "dress" } }));
    expect([elsewhere.status, elsewhere.headers.get("access-control-allow-origin")]).toEqual([200, null]);
  });
});

describe("search keys", () => {
  it("may retrieve and get items (REST and tRPC, batches of them) from their origin", async () => {
    const { app: a } = app();
    expect((await a.request("/v1/retrieve", from(SHOP, SEARCH_KEY, { body: { query: "dress" } }))).status).toBe(200);
    expect((await a.request("/v1/items:get", from(SHOP, SEARCH_KEY, { body: { ids: ["i1"] } }))).status).toBe(200);
    expect((await a.request("/v1/items?ids=i1", from(SHOP, SEARCH_KEY))).status).toBe(200);
    expect((await a.request(trpcQuery("retrieve", { query: "dress" }), from(SHOP, SEARCH_KEY))).status).toBe(200);
    const batch = `/trpc/retrieve,items.get?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { query: "dress" }, 1: { ids: ["i1"] } }))}`;
    expect((await a.request(batch, from(SHOP, SEARCH_KEY))).status).toBe(200);
    // "More like this" is a storefront call too.
    expect((await a.request("/v1/similar", from(SHOP, SEARCH_KEY, { body: { id: "i1" } }))).status).toBe(200);
    expect((await a.request(trpcQuery("similar", { id: "i1" }), from(SHOP, SEARCH_KEY))).status).toBe(200);
    // A key without origins works from anywhere, a server included.
    expect((await a.request("/v1/retrieve", from(null, OPEN_SEARCH_KEY, { body: { query: "dress" } }))).status).toBe(200);
  });

  it("are refused (403, before any work) every other operation: lookup, releases, jobs, metrics, a batch mixing one in", async () => {
    const { app: a, service } = app();
    const before = service.calls.length;
    const refused: [string, RequestInit][] = [
      ["/v1/lookup?query=dress", from(SHOP, SEARCH_KEY)],
      ["/v1/releases", from(SHOP, SEARCH_KEY)],
      ["/v1/releases/rollback", from(SHOP, SEARCH_KEY, { method: "POST" })],
      [trpcQuery("lookup", { query: "dress" }), from(SHOP, SEARCH_KEY)],
      [trpcQuery("jobs.list", {}), from(SHOP, SEARCH_KEY)],
      [`/trpc/retrieve,lookup?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { query: "a" }, 1: { query: "b" } }))}`, from(SHOP, SEARCH_KEY)],
      ["/metrics", from(SHOP, SEARCH_KEY)],
      ["/v1/nowhere", from(SHOP, SEARCH_KEY)],
    ];
    for (const [path, init] of refused) {
      const r = await a.request(path, init);
      expect(r.status, path).toBe(403);
      // The gate answers before tRPC runs: one error, REST's shape or tRPC's envelope.
      const { error } = (await r.json()) as Json;
      expect(error.data?.code ?? error.code, path).toBe("FORBIDDEN");
    }
    const msg = ((await (await a.request("/v1/releases", from(SHOP, SEARCH_KEY))).json()) as Json).error.message;
    expect(msg).toBe('key "web" is a search key: it may call retrieve, items.get, similar only, not "releases.list"; use a read key for that');
    expect(service.calls.length).toBe(before);
  });

  it("restricted to origins: another Origin, or none, is refused 403 with a message naming the key and its origins", async () => {
    const { app: a, service } = app();
    const before = service.calls.length;
    const other = await a.request("/v1/retrieve", from("https://evil.example", SEARCH_KEY, { body: { query: "dress" } }));
    expect(other.status).toBe(403);
    expect(((await other.json()) as Json).error.message).toBe(`key "web" may be used only from ${SHOP}, not from https://evil.example; add the origin to the key's origins, or use another key`);
    // Allowed by CORS (another key's origin), still not this key's: the page can read why.
    const admin = await a.request("/v1/retrieve", from(ADMIN_UI, SEARCH_KEY, { body: { query: "dress" } }));
    expect([admin.status, admin.headers.get("access-control-allow-origin")]).toEqual([403, ADMIN_UI]);
    const none = await a.request("/v1/retrieve", from(null, SEARCH_KEY, { body: { query: "dress" } }));
    expect(none.status).toBe(403);
    expect(((await none.json()) as Json).error.message).toMatch(/key "web" may be used only from web pages on https:\/\/shop\.example, and this request sent no Origin header/);
    const trpc = await a.request(trpcQuery("retrieve", { query: "dress" }), from("https://evil.example", SEARCH_KEY));
    expect([trpc.status, ((await trpc.json()) as Json).error.data.code]).toEqual([403, "FORBIDDEN"]);
    expect(service.calls.length).toBe(before);
  });

  it("read and admin keys keep every operation they had; images stay public for all", async () => {
    const { app: a } = app();
    expect((await a.request("/v1/lookup?query=dress", withKey(READ_KEY))).status).toBe(200);
    expect((await a.request("/v1/releases/rollback", withKey(ADMIN_KEY, { method: "POST" }))).status).toBe(200);
    expect((await a.request("/v1/releases/rollback", withKey(READ_KEY, { method: "POST" }))).status).toBe(403);
  });
});
