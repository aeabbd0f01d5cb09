import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobManager, createLocalRunner } from "../api/jobs/index.ts";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder, queryId, type FilterExpr, type FilterShorthand } from "../core/index.ts";
import { createCloudflareKv, kvBatches, publishRelease, pushReleaseToEdge } from "../lancedb/index.ts";
import { publishCommand } from "../lancedb/cli.ts";
import { BRANDS, importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { createClient } from "../sdk/index.ts";
import { startEdge, type EdgeSandbox } from "./fixtures/edge-miniflare.ts";

// The edge Worker as wrangler bundles it, in workerd (Miniflare), in front of the real Node origin
// on a real LanceDB release; qid lists pushed through the KV bulk API into Miniflare's KV. Nothing
// doubled: the origin's own request log counts what reached it.
const keys = [
  { id: "app", key: "read-key-0123456789abcdef", role: "read" as const },
  { id: "ops", key: "admin-key-0123456789abcdef", role: "admin" as const },
];
const READ = keys[0]!.key;
const SHOP = { items: 400, queries: 80, seed: 7 };

let shop: Awaited<ReturnType<typeof importedShop>>;
let service: RetrievalService;
let origin: NodeServer;
let edge: EdgeSandbox;
const originLog: { path?: string; keyId?: string | null; requestId?: string; msg?: string }[] = [];
const originRequests = () => originLog.filter((l) => l.msg === "request");

const writer = () => createCloudflareKv({ ...edge.kvApi, baseDelayMs: 1 });

async function rest(base: string, body: unknown, key: string | null = READ): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${base}/v1/retrieve`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

// Everything but the per-stage timings must match the origin's answer.
const comparable = (r: any) => ({ ...r, timings: undefined });

beforeAll(async () => {
  shop = await importedShop(SHOP);
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder(), topK: 60 });
  service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 0 });
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) originLog.push(JSON.parse(line));
      done();
    },
  });
  origin = await serveNode({ service, port: 0, logger: pino({ level: "info" }, sink), config: { keys, rateLimit: null } });
  edge = await startEdge({
    originUrl: origin.url,
    apiKeys: keys.map((k) => `${k.id}:${k.key}:${k.role}`).join(","),
    vars: { EDGE_POINTER_TTL_MS: "0" },
    failFirst: 1,
  });
}, 60_000);
afterAll(async () => {
  await edge?.dispose();
  await origin?.close();
  await service?.close();
  await shop?.cleanup();
});

const loggedQueries = [...new Set(makeShop(SHOP).clicks.map((c) => c.query))];

describe("edge Worker under workerd", () => {
  it("serves nothing from KV before a push: a retrieve is forwarded", async () => {
    const r = await rest(edge.url, { query: loggedQueries[0], k: 3 });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-vitrine-edge")).toBe("forward");
    expect(r.json.release).toBe("r001");
  });

  it("pushes a release through the KV bulk API in limited batches, retrying a 429", async () => {
    const pushed = await pushReleaseToEdge({ dataDir: shop.dataDir, writer: writer(), limits: { maxKeys: 16 }, concurrency: 3 });
    expect(pushed).toMatchObject({ release: "r001", flipped: true, partial: false });
    expect(pushed.qids).toBe(new Set(loggedQueries.map((q) => queryId(q).qid)).size);
    const stats = await edge.kvApiStats();
    expect(stats.rejected).toBe(1);
    expect(pushed.retries).toBe(1);
    expect(stats.maxKeys).toBeLessThanOrEqual(16);
    expect(stats.keys).toBe(pushed.keys);
    expect((await edge.kvKeys("r001/q/")).length).toBe(pushed.qids);
    const refused = createCloudflareKv({ ...edge.kvApi, apiToken: "not-the-token" });
    await expect(pushReleaseToEdge({ dataDir: shop.dataDir, writer: refused, flip: false })).rejects.toMatchObject({ name: "EdgePushError", code: "KV_AUTH" });
  });

  it("answers a qid hit from KV without touching the origin, equal to the origin's answer", async () => {
    const before = originRequests().length;
    for (const query of loggedQueries.slice(0, 6)) {
      const atEdge = await rest(edge.url, { query, k: 5 });
      expect(atEdge.status, query).toBe(200);
      expect(atEdge.headers.get("x-vitrine-edge")).toBe("hit");
      expect(atEdge.headers.get("cache-control")).toBe("private, max-age=30");
      expect(atEdge.json.path).toBe("qid");
      const atOrigin = await rest(origin.url, { query, k: 5 });
      expect(comparable(atEdge.json), query).toEqual(comparable(atOrigin.json));
    }
    // Only the six direct origin calls above reached it.
    expect(originRequests().length - before).toBe(6);
    // The SDK (tRPC, POST with method override) through the edge: also a hit.
    const sdk = createClient({ url: edge.url, apiKey: READ });
    const viaSdk = await sdk.retrieve(loggedQueries[1]!, { k: 4 });
    expect(viaSdk.path).toBe("qid");
    expect(originRequests().length - before).toBe(6);
    expect(viaSdk.items.map((i) => i.id)).toEqual((await service.retrieve({ query: loggedQueries[1]!, k: 4, understand: true, relax: true })).items.map((i) => i.id));
    // tRPC GET with ?input=, and a batch of two retrieves: answered at the edge, in tRPC's envelopes.
    const auth = { authorization: `Bearer ${READ}` };
    const input = encodeURIComponent(JSON.stringify({ query: loggedQueries[3], k: 2 }));
    const get = await fetch(`${edge.url}/trpc/retrieve?input=${input}`, { headers: auth });
    expect(get.headers.get("x-vitrine-edge")).toBe("hit");
    const batchInput = encodeURIComponent(JSON.stringify({ 0: { query: loggedQueries[3], k: 2 }, 1: { query: loggedQueries[4], k: 3 } }));
    const batch = (await (await fetch(`${edge.url}/trpc/retrieve,retrieve?batch=1&input=${batchInput}`, { headers: auth })).json()) as any[];
    const direct = (await (await fetch(`${origin.url}/trpc/retrieve,retrieve?batch=1&input=${batchInput}`, { headers: auth })).json()) as any[];
    expect(batch.map((b) => comparable(b.result.data))).toEqual(direct.map((b) => comparable(b.result.data)));
    expect(comparable(((await get.json()) as any).result.data)).toEqual(comparable(direct[0].result.data));
    expect(originRequests().length - before).toBe(7);
  });

  it("forwards a miss, lookup and items to the origin with the caller's key", async () => {
    const before = originRequests().length;
    const miss = await rest(edge.url, { query: "unlogged words nobody typed", k: 5 }, keys[1]!.key);
    expect(miss.status).toBe(200);
    expect(miss.headers.get("x-vitrine-edge")).toBe("forward");
    expect(miss.json.path).toBe("ann");
    // A CJK query the shop never logged: segmented at the edge by jieba's wasm, forwarded.
    const cjk = await rest(edge.url, { query: "红色连衣裙", k: 2 }, keys[1]!.key);
    expect([cjk.status, cjk.headers.get("x-vitrine-edge"), cjk.json.terms]).toEqual([200, "forward", queryId("红色连衣裙").terms]);
    const sdk = createClient({ url: edge.url, apiKey: READ });
    expect((await sdk.lookup(loggedQueries[0]!)).hit).toBe(true);
    expect((await sdk.items.get(["sku-00001"])).map((i) => i.id)).toEqual(["sku-00001"]);
    const reached = originRequests().slice(before);
    expect(reached.map((l) => [l.path, l.keyId])).toEqual([
      ["/v1/retrieve", "ops"],
      ["/v1/retrieve", "ops"],
      ["/trpc/lookup", "app"],
      ["/trpc/items.get", "app"],
    ]);
    // The edge's request id travels with the forwarded request.
    expect(reached[0]!.requestId).toBe(miss.headers.get("x-request-id"));
  });

  it("answers an offset page from KV equal to the origin's, cursor included; forwards the cursor, facets and similar (via=edge in the origin's query log)", async () => {
    const query = loggedQueries[2]!;
    const before = originRequests().length;
    const page = await rest(edge.url, { query, k: 5, offset: 10 });
    expect(page.headers.get("x-vitrine-edge")).toBe("hit");
    expect(page.json).toMatchObject({ offset: 10, more: true, path: "qid" });
    expect(comparable(page.json)).toEqual(comparable((await rest(origin.url, { query, k: 5, offset: 10 })).json));
    expect(originRequests().length - before).toBe(1);
    const next = await rest(edge.url, { query, k: 5, cursor: page.json.nextCursor });
    expect(next.headers.get("x-vitrine-edge")).toBe("forward");
    const fifteen = (await rest(origin.url, { query, k: 20 })).json.items.map((i: { id: string }) => i.id);
    expect(next.json.items.map((i: { id: string }) => i.id)).toEqual(fifteen.slice(15, 20));
    const facets = await rest(edge.url, { query, k: 5, facets: ["brand"] });
    expect([facets.headers.get("x-vitrine-edge"), facets.json.facets.counted > 0]).toEqual(["forward", true]);
    const similar = await fetch(`${edge.url}/v1/similar`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${READ}` }, body: '{"id":"sku-00001","k":3}' });
    expect([similar.status, similar.headers.get("x-vitrine-edge")]).toEqual([200, "forward"]);
    const viaEdge = originLog.filter((l) => (l as { msg?: string }).msg === "query").slice(-4) as { via?: string; op?: string }[];
    expect(viaEdge.map((l) => [l.op, l.via])).toEqual([
      ["retrieve", "edge"],
      ["retrieve", "direct"],
      ["retrieve", "edge"],
      ["similar", "edge"],
    ]);
  });

  it("computes the same qid and terms as Node for CJK text (jieba wasm in workerd)", async () => {
    // A list written under the qid Node computes for a Han query: the edge finds it only if its own
    // segmentation (jieba as a CompiledWasm module) gives the same terms.
    // (Not the query of the test above: the isolate remembers that release key as absent — release
    // keys are immutable, and only this test writes into a pushed release.)
    const { qid, terms } = queryId("连衣裙 蓝色");
    const value = {
      format: 1,
      lists: [
        {
          terms,
          items: [
            { id: "sku-00003", score: 0.5, title: "蓝色连衣裙" },
            { id: "sku-00004", score: 0.25, title: "dress" },
          ],
        },
      ],
    };
    for await (const b of kvBatches([{ key: `r001/q/${qid}`, value: JSON.stringify(value) }])) await writer().putBatch(b);
    const r = await rest(edge.url, { query: "蓝色连衣裙", k: 2, understand: false });
    expect(r.headers.get("x-vitrine-edge")).toBe("hit");
    expect([r.json.terms, r.json.items.map((i: { id: string }) => i.id)]).toEqual([terms, ["sku-00003", "sku-00004"]]);
  });

  it("applies query constraints and caller filters at the edge exactly as the origin does", async () => {
    const branded = loggedQueries.filter((q) => BRANDS.some((b) => q.includes(b)));
    expect(branded.length).toBeGreaterThan(0);
    const filters: (FilterExpr | FilterShorthand | undefined)[] = [
      undefined,
      { price: { lte: 120 } },
      { attributes: { color: "red" } },
      { op: "not", filter: { op: "eq", field: "category", value: "Women>Dresses" } },
      {
        op: "or",
        filters: [
          { op: "eq", field: "brand", value: "Acme" },
          { op: "range", field: "price", gte: 150 },
        ],
      },
    ];
    const where: Record<string, number> = { hit: 0, forward: 0 };
    for (const query of [...branded.slice(0, 4), ...loggedQueries.slice(0, 4)]) {
      for (const [f, k] of filters.flatMap(
        (f) =>
          [
            [f, 3],
            [f, 25],
          ] as const,
      )) {
        const body = { query, k, ...(f ? { filters: f } : {}) };
        const [atEdge, atOrigin] = [await rest(edge.url, body), await rest(origin.url, body)];
        expect(atEdge.status).toBe(200);
        where[atEdge.headers.get("x-vitrine-edge")!]!++;
        expect(comparable(atEdge.json), JSON.stringify(body)).toEqual(comparable(atOrigin.json));
      }
    }
    // Both paths were taken: lists that suffice after filtering, and too few (origin tops up).
    expect(where.hit).toBeGreaterThan(10);
    expect(where.forward).toBeGreaterThan(0);
    // A brand in the query became a hard constraint at the edge too.
    const q = branded[0]!;
    const r = await rest(edge.url, { query: q, k: 1 });
    expect(r.json.constraints.fromQuery.some((c: { field: string }) => c.field === "brand")).toBe(true);
  });

  it("answers bad keys and bad input at the edge with the origin's error shapes", async () => {
    const before = originRequests().length;
    const strip = (j: any) => JSON.parse(JSON.stringify(j).replace(/"requestId":"[^"]*"/g, '"requestId":""'));
    for (const [key, body, status] of [
      ["wrong-key-wrong-key-wrong", { query: loggedQueries[0], k: 3 }, 401],
      [null, { query: loggedQueries[0], k: 3 }, 401],
      [READ, { query: loggedQueries[0], k: 0 }, 400],
      [READ, { query: loggedQueries[0], filters: { op: "eq", field: "colour", value: "red" } }, 400],
    ] as const) {
      const [atEdge, atOrigin] = [await rest(edge.url, body, key), await rest(origin.url, body, key)];
      expect(atEdge.status).toBe(status);
      expect(atEdge.headers.get("x-vitrine-edge")).toBe("error");
      expect(strip(atEdge.json)).toEqual(strip(atOrigin.json));
    }
    const sdk = createClient({ url: edge.url, apiKey: "wrong-key-wrong-key-wrong" });
    await expect(sdk.retrieve(loggedQueries[0]!)).rejects.toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    // Only the direct origin calls reached the origin.
    expect(originRequests().length - before).toBe(4);
  });

  it("never serves a half-pushed release; serves it once the pointer flips", async () => {
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 9 }), topK: 60 });
    await service.activate("r002", { edge: false });
    const query = loggedQueries[2]!;
    const half = await pushReleaseToEdge({ dataDir: shop.dataDir, writer: writer(), limits: { maxKeys: 16 }, stopAfterBatches: 2 });
    expect(half).toMatchObject({ release: "r002", flipped: false, partial: true });
    expect((await edge.kvKeys("r002/q/")).length).toBe(32);
    const stale = await rest(edge.url, { query, k: 5 });
    expect(stale.headers.get("x-vitrine-edge")).toBe("hit");
    expect(stale.json.release).toBe("r001");

    // The CLI pushes the active release without republishing.
    const env = { CLOUDFLARE_ACCOUNT_ID: edge.kvApi.accountId, VITRINE_EDGE_KV_NAMESPACE: edge.kvApi.namespaceId, CLOUDFLARE_API_TOKEN: edge.kvApi.apiToken };
    const cli = async (...args: string[]) => {
      Object.assign(process.env, env);
      try {
        return await publishCommand(["--data", shop.dataDir, "--edge", "--edge-endpoint", edge.kvApi.endpoint, ...args]);
      } finally {
        for (const k of Object.keys(env)) delete process.env[k];
      }
    };
    expect(await cli("--release", "active")).toBe(0);
    const fresh = await rest(edge.url, { query, k: 5 });
    expect(fresh.headers.get("x-vitrine-edge")).toBe("hit");
    expect(fresh.json.release).toBe("r002");
    expect(comparable(fresh.json)).toEqual(comparable((await rest(origin.url, { query, k: 5 })).json));

    // Publish and push in one go: a release published without activation is pushed but not pointed at.
    expect(await cli("--no-activate", "--top-k", "10")).toBe(0);
    expect((await edge.kvKeys("r003/meta")).length).toBe(1);
    expect((await rest(edge.url, { query, k: 5 })).json.release).toBe("r002");
    // Missing credentials fail before anything is published.
    expect(await publishCommand(["--data", shop.dataDir, "--edge"])).toBe(2);
  });

  it("a publish job with publish.edge pushes its release and moves the edge to it", async () => {
    const env = {
      CLOUDFLARE_ACCOUNT_ID: edge.kvApi.accountId,
      VITRINE_EDGE_KV_NAMESPACE: edge.kvApi.namespaceId,
      CLOUDFLARE_API_TOKEN: edge.kvApi.apiToken,
      VITRINE_EDGE_KV_ENDPOINT: edge.kvApi.endpoint,
    };
    const jobs = await createJobManager({ dataDir: shop.dataDir, runner: createLocalRunner({ env }) });
    try {
      const job = await jobs.trigger("publish", { publish: { edge: true, topK: 20 } }, "ops");
      await jobs.idle();
      const done = await jobs.get(job.id);
      expect(done.state, (await jobs.logs(job.id)).join("\n")).toBe("succeeded");
      expect(done.stages[0]!.metrics).toMatchObject({ "edge pointer": done.release });
      const r = await rest(edge.url, { query: loggedQueries[1], k: 5 });
      expect(r.headers.get("x-vitrine-edge")).toBe("hit");
      expect(r.json.release).toBe(done.release);
    } finally {
      await jobs.close();
    }
  });

  it("answers 503 in the API's error shape when the origin is down, and keeps serving hits", async () => {
    await edge.mf.setOptions({ workers: edge.workers({ ORIGIN_URL: "http://127.0.0.1:9" }) });
    const url = (await edge.mf.ready).href.replace(/\/$/, "");
    const miss = await rest(url, { query: "nothing logged like this", k: 5 });
    expect(miss.status).toBe(503);
    expect(miss.json.error).toMatchObject({ code: "UNAVAILABLE", requestId: miss.headers.get("x-request-id") });
    expect((await rest(url, { query: loggedQueries[2], k: 5 })).headers.get("x-vitrine-edge")).toBe("hit");
  });
});
