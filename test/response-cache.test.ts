// The qid response cache end to end (issue 16): a real store, the real service and `serveNode` on
// loopback. A repeated logged query is answered from the cache with the same answer; after every
// release switch — the pointer followed after a publish, an activate, a rollback — the next answer
// is the new release's (computed, never the old release's bytes), and equal to what the service
// computes for that release directly.
import { request as httpRequest } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, RetrieveRequestSchema } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService, type RetrieveResult } from "../api/service/index.ts";
import { until } from "./fixtures/until.ts";

const READ = "read-key-0123456789abcdef";
const ADMIN = "admin-key-0123456789abcdef";
let shop: Awaited<ReturnType<typeof importedShop>>;
let service: RetrievalService;
let server: NodeServer;
let query: string;

beforeAll(async () => {
  shop = await importedShop({ items: 300, queries: 40 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() }); // r001
  query = makeShop({ items: 300, queries: 40 }).clicks[0]!.query;
  service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 50 });
  server = await serveNode({
    service,
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    config: {
      keys: [
        { id: "reader", key: READ, role: "read" },
        { id: "admin", key: ADMIN, role: "admin" },
      ],
      rateLimit: null,
    },
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await service?.close();
  await shop?.cleanup();
});

type Answer = { status: number; cache: string | undefined; body: RetrieveResult };

/** POST /v1/retrieve over a real socket (node:http, so the Host header can be set). */
function retrieve(body: object, host?: string): Promise<Answer> {
  const url = new URL("/v1/retrieve", server.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { authorization: `Bearer ${READ}`, "content-type": "application/json", ...(host ? { host } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cache: res.headers["x-vitrine-cache"] as string | undefined, body: JSON.parse(text) as RetrieveResult }));
    });
    req.on("error", reject).end(payload);
  });
}

const sansTimings = ({ timings: _, ...rest }: RetrieveResult) => rest;
const body = () => ({ query, k: 10, understand: false });

/** The answer the service computes now for the active release, as the API shows items (image links aside). */
async function direct(): Promise<RetrieveResult> {
  return service.retrieve(RetrieveRequestSchema.parse(body()));
}

async function expectFreshThenCached(release: string): Promise<void> {
  const first = await retrieve(body());
  expect(first.status).toBe(200);
  expect(first.body.release).toBe(release);
  expect(first.cache).toBe("miss");
  const want = await direct();
  expect(want.release).toBe(release);
  expect(first.body.items.map((x) => [x.id, x.score])).toEqual(want.items.map((x) => [x.id, x.score]));
  const again = await retrieve(body());
  expect(again.cache).toBe("hit");
  expect(sansTimings(again.body)).toEqual(sansTimings(first.body));
  expect(Object.keys(again.body.timings)).toContain("cache");
}

describe("qid response cache over HTTP", () => {
  it("answers a repeated logged query from the cache, the same answer with its own timings", async () => {
    const first = await retrieve(body());
    expect(first.body.path).toBe("qid");
    const again = await retrieve(body());
    expect(again.cache).toBe("hit");
    expect(sansTimings(again.body)).toEqual(sansTimings(first.body));
  });

  // (The shop has no images; api/http/images.test.ts covers the links themselves.)
  it("keys by the image links' base: a request to another Host is computed and cached on its own", async () => {
    await retrieve(body());
    const other = await retrieve(body(), "shop.example");
    expect(other.cache).toBe("miss");
    expect((await retrieve(body(), "shop.example")).cache).toBe("hit");
  });

  it("caches only answers of the precomputed list (path qid)", async () => {
    const miss = { query: "zzqx unlogged words", k: 10, understand: false };
    const a = await retrieve(miss);
    expect(a.body.path).toBe("ann");
    expect(a.cache).toBeUndefined();
    expect((await retrieve(miss)).cache).toBeUndefined();
  });

  it("never serves an old release's cached bytes after a switch: pointer followed, activate, rollback", async () => {
    // Cached by the tests above.
    const before = await retrieve(body());
    expect([before.cache, before.body.release]).toEqual(["hit", "r001"]);

    // A publish elsewhere moves the pointer; the service follows it by polling.
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() }); // r002
    await until("the service follows r002", async () => (service.activeRelease?.() === "r002" ? true : null), 30_000);
    await expectFreshThenCached("r002");

    const activate = await fetch(`${server.url}/v1/releases/r001/activate?edge=false`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(activate.status, await activate.clone().text()).toBe(200);
    await expectFreshThenCached("r001");

    const rollback = await fetch(`${server.url}/v1/releases/rollback?edge=false`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(rollback.status, await rollback.clone().text()).toBe(200);
    await expectFreshThenCached("r002");

    // A body pinning the other release is answered by it (and not filed under the active one).
    const pinned = await retrieve({ ...body(), release: "r001" });
    expect(pinned.body.release).toBe("r001");
    expect(pinned.cache).toBeUndefined();
    expect((await retrieve(body())).body.release).toBe("r002");
  }, 120_000);
});
