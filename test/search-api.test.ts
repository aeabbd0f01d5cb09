// The search features end to end, nothing doubled: a real LanceDB release (hash encoder, BM25,
// precomputed qid lists), the Node server on loopback with prom-client metrics and pino logs, and
// the SDK. Pages (offset over REST, cursors over tRPC/SDK) are disjoint and their union is one
// larger request on the qid path, the live (ANN/hybrid) path and with filters; a cursor keeps its
// release across a flip; facets count the candidate window; similar, retrieveMany; /metrics and
// the query log lines.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPromMetrics, serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { importData } from "../ingest/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { createClient, VitrineError, type RetrieveOptions, type RetrieveResult } from "../sdk/index.ts";

const READ = "read-key-0123456789abcdef";
const ADMIN = "admin-key-0123456789abcdef";
const keys = [
  { id: "shop", key: READ, role: "read" as const },
  { id: "ops", key: ADMIN, role: "admin" as const },
];
const BRANDS = ["Acme", "North Peak", "Zed"];
const TYPES = [
  ["Dress", "Women>Dresses"],
  ["Coat", "Women>Coats"],
  ["Sneakers", "Shoes>Sneakers"],
] as const;
const COLOURS = ["red", "blue", "green", "black"];

let dir: string;
let data: string;
let service: RetrievalService;
let server: NodeServer;
const lines: Record<string, any>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-search-"));
  const items = [];
  let i = 0;
  for (const b of BRANDS)
    for (const [t, c] of TYPES)
      for (let v = 0; v < 40; v++) items.push({ id: `s${i++}`, title: `${b} ${COLOURS[v % 4]} ${v % 3 ? "wool" : "cotton"} ${t} ${v}`, brand: b, category: c, price: 10 + ((v * 7) % 90) });
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  const clicks = COLOURS.flatMap((c, k) => TYPES.map(([t], j) => ({ query: `${c} ${t.toLowerCase()}`, item_id: `s${(k * 40 + j * 7) % items.length}` })));
  await writeFile(join(dir, "clicks.jsonl"), clicks.map((x) => JSON.stringify(x)).join("\n"));
  data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, images: false, evalFraction: 0 });
  // Both channels and the popularity prior with a fixed blend (too few clicks to fit one): the
  // hybrid live path, its pages as disjoint with the prior as without.
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 60, blend: { method: "convex", weight: 0.5, prior: 0.3 } });
  await publishRelease({ dataDir: data, encoder: createHashEncoder({ seed: 9 }), topK: 60, blend: { method: "convex", weight: 0.5 }, activate: false });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  server = await serveNode({
    service,
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "info" }, sink),
    metrics: createPromMetrics({ defaultMetrics: false }),
    config: { keys, rateLimit: null, maxWindow: 400 },
  });
});
afterAll(async () => {
  await server?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

const post = async (path: string, body: unknown, key = READ) => {
  const r = await fetch(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};
const ids = (r: { items: { id: string }[] }) => r.items.map((x) => x.id);

describe("pagination on a real release over HTTP", () => {
  const cases: [string, string, RetrieveOptions][] = [
    ["the qid path (then topped up by the live search)", "red dress", { understand: false }],
    ["the live (ANN/hybrid) path", "green cotton sneakers wool", { understand: false }],
    ["filters and query understanding", "acme coat", { filters: { price: { gte: 20, lt: 80 } } }],
  ];
  for (const [name, query, opts] of cases) {
    it(`${name}: REST offset pages and SDK cursor pages are disjoint and their union is one k = 300 request`, async () => {
      const whole = await post("/v1/retrieve", { query, k: 300, ...opts });
      expect(whole.status).toBe(200);
      expect(whole.body.items.length).toBeGreaterThan(60);
      // The answer says which blend the live search used, the prior's weight included.
      expect(whole.body.blend).toEqual({ method: "convex", weight: 0.5, prior: 0.3 });
      const paged: string[] = [];
      for (let offset = 0; offset < 300; offset += 45) {
        const p = await post("/v1/retrieve", { query, k: Math.min(45, 300 - offset), offset, ...opts });
        expect(p.body.offset).toBe(offset);
        paged.push(...ids(p.body));
      }
      expect(new Set(paged).size).toBe(paged.length);
      expect(paged).toEqual(ids(whole.body));

      const sdk = createClient({ url: server.url, apiKey: READ });
      const viaCursor: string[] = [];
      let page: RetrieveResult = await sdk.retrieve(query, { k: 60, ...opts });
      const paths = new Set([page.path]);
      viaCursor.push(...ids(page));
      while (page.nextCursor && viaCursor.length < 300) {
        page = await sdk.retrieve(query, { k: 60, cursor: page.nextCursor, ...opts });
        paths.add(page.path);
        viaCursor.push(...ids(page));
      }
      expect(viaCursor).toEqual(ids(whole.body));
      if (query === "red dress") expect([...paths]).toEqual(expect.arrayContaining(["qid", "ann"]));
      else expect([...paths]).toEqual(["ann"]);
    }, 60_000);
  }

  it("a cursor keeps its release when another one is activated; the window (400) bounds offset + k", async () => {
    const sdk = createClient({ url: server.url, apiKey: READ });
    const admin = createClient({ url: server.url, apiKey: ADMIN });
    const first = await sdk.retrieve("blue coat", { k: 100, understand: false });
    expect(first.release).toBe("r001");
    await admin.releases.activate("r002");
    try {
      const second = await sdk.retrieve("blue coat", { k: 100, understand: false, cursor: first.nextCursor! });
      expect(second.release).toBe("r001");
      const r1 = await sdk.retrieve("blue coat", { k: 200, understand: false, release: "r001" });
      expect([...ids(first), ...ids(second)]).toEqual(ids(r1));
      // A fresh request follows the active release; the cursor refuses another release by name.
      expect((await sdk.retrieve("blue coat", { k: 5, understand: false })).release).toBe("r002");
      await expect(sdk.retrieve("blue coat", { k: 5, understand: false, cursor: first.nextCursor!, release: "r002" })).rejects.toMatchObject({
        code: "INVALID_INPUT",
        status: 400,
        issues: [{ field: "cursor" }],
      });
      const deep = await post("/v1/retrieve", { query: "blue coat", k: 50, offset: 360 });
      expect(deep.status).toBe(400);
      expect(deep.body.error.message).toMatch(/result window of 400 items/);
      const last = await sdk.retrieve("blue coat", { k: 100, offset: 300, understand: false });
      expect(last.nextCursor).toBeUndefined();
    } finally {
      await admin.releases.activate("r001");
    }
  });
});

describe("facets, similar and retrieveMany on a real release", () => {
  it("facets count the ranking's first 200 items: the same as counting a k = 200 request", async () => {
    const sdk = createClient({ url: server.url, apiKey: READ });
    const r = await sdk.retrieve("wool", { k: 10, understand: false, facets: ["brand", "category", "price"] });
    const window = await sdk.retrieve("wool", { k: 200, understand: false });
    expect(r.facets!.counted).toBe(window.items.length);
    const count = (f: (x: (typeof window.items)[number]) => string | null) => {
      const m = new Map<string, number>();
      for (const x of window.items) m.set(f(x)!, (m.get(f(x)!) ?? 0) + 1);
      return m;
    };
    expect(new Map(r.facets!.brand!.values.map((v) => [v.value, v.count]))).toEqual(count((x) => x.brand));
    expect(new Map(r.facets!.category!.values.map((v) => [v.value, v.count]))).toEqual(count((x) => x.category));
    for (const b of r.facets!.price!.buckets) expect(b.count).toBe(window.items.filter((x) => x.price! >= b.gte && x.price! < b.lt).length);
    // The page's items are the first 10 of that window.
    expect(ids(r)).toEqual(ids(window).slice(0, 10));
  });

  it("similar: the item's neighbours by its own vector, never itself, filters hold; unknown item → 404", async () => {
    const sdk = createClient({ url: server.url, apiKey: READ });
    const s = await sdk.similar("s5", { k: 10 });
    expect(s.items).toHaveLength(10);
    expect(s.items.some((x) => x.id === "s5")).toBe(false);
    const scores = s.items.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const f = await sdk.similar("s5", { k: 10, filters: { brand: "Zed", price: { lte: 50 } } });
    expect(f.items.length).toBeGreaterThan(0);
    expect(f.items.every((x) => x.brand === "Zed" && x.price! <= 50)).toBe(true);
    const rest = await post("/v1/similar", { id: "s5", k: 10 });
    expect(ids(rest.body)).toEqual(ids(s));
    const err = await sdk.similar("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VitrineError);
    expect(err).toMatchObject({ code: "ITEM_NOT_FOUND", status: 404 });
  });

  it("retrieveMany: one HTTP request, results in input order, a bad query fails alone; more than 16 refused naming the limit", async () => {
    const sdk = createClient({ url: server.url, apiKey: READ });
    const before = await metricsText();
    const out = await sdk.retrieveMany([
      { query: "red dress", k: 3 },
      { query: "blue coat", k: 0 },
      { query: "zed sneakers", k: 4, filters: { price: { lte: 60 } } },
      { query: "red dress", k: 3, release: "r099" },
    ]);
    expect(out.map((o) => o.ok)).toEqual([true, false, true, false]);
    expect(out[0]!.ok && ids(out[0]!.result)).toEqual(ids(await sdk.retrieve("red dress", { k: 3 })));
    expect(out[2]!.ok && ids(out[2]!.result)).toEqual(ids(await sdk.retrieve("zed sneakers", { k: 4, filters: { price: { lte: 60 } } })));
    expect(!out[1]!.ok && out[1]!.error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "k" }] });
    expect(!out[3]!.ok && out[3]!.error).toMatchObject({ code: "RELEASE_NOT_FOUND", status: 404 });
    // One batched request: the batch route label moved by one.
    const batches = (t: string) => Number(/vitrine_http_requests_total\{method="POST",route="\/trpc\/batch",status="\d+"\} (\d+)/.exec(t)?.[1] ?? 0);
    expect(batches(await metricsText())).toBe(batches(before) + 1);
    const many = Array.from({ length: 17 }, () => ({ query: "red dress" }));
    await expect(sdk.retrieveMany(many)).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/at most 16 queries/) });
    expect(await sdk.retrieveMany([])).toEqual([]);
  });
});

async function metricsText(): Promise<string> {
  const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${READ}` } });
  return r.text();
}

describe("search analytics on /metrics and in the log", () => {
  it("searches by path and via, zero results, items returned, the active release as a gauge, and a query line per retrieve", async () => {
    const sdk = createClient({ url: server.url, apiKey: READ });
    const n0 = lines.length;
    await sdk.retrieve("red dress", { k: 5, understand: false });
    await sdk.retrieve("green cotton sneakers wool", { k: 7, understand: false });
    await sdk.retrieve("red dress", { k: 5, filters: { brand: "Nobody" } });
    await fetch(`${server.url}/v1/retrieve`, {
      method: "POST",
      headers: { authorization: `Bearer ${READ}`, "content-type": "application/json", "x-vitrine-via": "edge" },
      body: '{"query":"blue coat","k":3}',
    });
    await sdk.similar("s1", { k: 4 });
    const text = await metricsText();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}+.]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    expect(value('vitrine_search_requests_total{op="retrieve",path="qid",via="direct"}')).toBeGreaterThanOrEqual(1);
    expect(value('vitrine_search_requests_total{op="retrieve",path="ann",via="direct"}')).toBeGreaterThanOrEqual(2);
    expect(value('vitrine_search_requests_total{op="retrieve",path="qid",via="edge"}')).toBe(1);
    expect(value('vitrine_search_requests_total{op="similar",path="similar",via="direct"}')).toBeGreaterThanOrEqual(2);
    expect(value('vitrine_search_zero_results_total{op="retrieve",path="ann",via="direct"}')).toBeGreaterThanOrEqual(1);
    expect(value('vitrine_search_items_returned_bucket{le="0",op="retrieve"}')).toBeGreaterThanOrEqual(1);
    expect(value('vitrine_search_items_returned_count{op="retrieve"}')).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/^vitrine_search_duration_seconds_bucket\{le="[^"]+",op="retrieve",path="qid"\}/m);
    expect(value('vitrine_active_release{release="r001"}')).toBe(1);
    const admin = createClient({ url: server.url, apiKey: ADMIN });
    await admin.releases.activate("r002");
    try {
      const after = await metricsText();
      expect(after).toMatch(/^vitrine_active_release\{release="r002"\} 1$/m);
      expect(after).not.toMatch(/vitrine_active_release\{release="r001"\}/);
    } finally {
      await admin.releases.activate("r001");
    }

    const queries = lines.slice(n0).filter((l) => l.msg === "query");
    expect(queries.map((l) => [l.op, l.query ?? l.id, l.path, l.count, l.via])).toEqual([
      ["retrieve", "red dress", "qid", 5, "direct"],
      ["retrieve", "green cotton sneakers wool", "ann", 7, "direct"],
      ["retrieve", "red dress", "ann", 0, "direct"],
      ["retrieve", "blue coat", "qid", 3, "edge"],
      ["similar", "s1", "similar", 4, "direct"],
    ]);
    for (const l of queries) {
      expect(l).toMatchObject({ event: "query", release: "r001", keyId: "shop", level: 30 });
      expect(typeof l.ms).toBe("number");
      expect(JSON.stringify(l)).not.toContain(READ);
    }
  });
});
