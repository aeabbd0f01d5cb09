import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode, type NodeServer } from "../../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../../api/service/index.ts";
import { createHashEncoder } from "../../core/index.ts";
import { importData } from "../../ingest/index.ts";
import { publishRelease } from "../../lancedb/index.ts";
import { TrainError } from "../errors.ts";
import { rankThroughApi, retrieveEndpoint } from "./api-ranker.ts";

// rankThroughApi against the real server over real HTTP, on a real LanceDB release.
let dir: string;
let service: RetrievalService;
let server: NodeServer;
const key = "read-key-0123456789abcdef";
const itemIds: string[] = [];
const queries = ["dress red", "blue hat", "acme hat", "zed", "dress", "green scarf"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-apirank-"));
  const items = [];
  let i = 0;
  for (const b of ["Acme", "Zed"]) {
    for (const [t, c] of [
      ["Dress", "Women>Dresses"],
      ["Hat", "Accessories>Hats"],
    ] as const) {
      for (let v = 0; v < 6; v++) items.push({ id: `p${i++}`, title: `${b} ${v % 2 ? "red" : "blue"} ${t} ${v}`, brand: b, category: c, price: 5 + v });
    }
  }
  itemIds.push(...items.map((x) => x.id));
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  await writeFile(join(dir, "clicks.jsonl"), ["red dress", "blue hat", "acme hat"].map((q, k) => JSON.stringify({ query: q, item_id: `p${k}` })).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, images: false, evalFraction: 0 });
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 5 });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  server = await serveNode({ service, port: 0, config: { keys: [{ id: "app", key, role: "read" }], logLevel: "silent", rateLimit: { perSecond: 1_000, burst: 1_000 } } });
});
afterAll(async () => {
  await server?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("rankThroughApi", () => {
  it("returns the service's own answers as catalog rows, with paths, release and timings", async () => {
    const got = await rankThroughApi({ url: server.url, key, queries, itemIds, k: 10, concurrency: 3 });
    const want = await Promise.all(queries.map((query) => service.retrieve({ query, k: 10, understand: true, relax: true })));
    expect(got.rows.map((r) => Array.from(r))).toEqual(want.map((a) => a.items.map((x) => itemIds.indexOf(x.id))));
    expect(got.rows.every((r) => r instanceof Int32Array && r.length > 0)).toBe(true);
    const paths: Record<string, number> = {};
    for (const a of want) paths[a.path] = (paths[a.path] ?? 0) + 1;
    expect(got.paths).toEqual(paths);
    expect(Object.values(got.paths).reduce((s, c) => s + c, 0)).toBe(queries.length);
    // The clicked queries have qid lists (5 long, so k = 10 tops them up); the others are ANN only.
    expect(got.paths["qid+ann"]).toBe(3);
    expect(got.release).toBe("r001");
    expect(got.unknownIds).toBe(0);
    expect(got.warnings).toEqual([]);
    expect(got.msPerQuery.p50).toBeGreaterThan(0);
    expect(got.msPerQuery.p95).toBeGreaterThanOrEqual(got.msPerQuery.p50);
    // A trailing slash on the base URL is fine, and a pinned release is sent.
    const pinned = await rankThroughApi({ url: `${server.url}/`, key, queries: ["dress red"], itemIds, k: 3, release: "r001" });
    expect(Array.from(pinned.rows[0]!)).toEqual(Array.from(got.rows[0]!.slice(0, 3)));
  });

  it("drops and counts ids the catalog does not know", async () => {
    const full = await rankThroughApi({ url: server.url, key, queries, itemIds, k: 10 });
    // A catalog without the Zed items: those answers' ids are unknown.
    const partial = itemIds.map((id, row) => (row >= 12 ? `other-${id}` : id));
    const got = await rankThroughApi({ url: server.url, key, queries, itemIds: partial, k: 10 });
    const zed = full.rows.reduce((s, r) => s + r.filter((row) => row >= 12).length, 0);
    expect(zed).toBeGreaterThan(0);
    expect(got.unknownIds).toBe(zed);
    expect(got.rows.map((r) => Array.from(r))).toEqual(full.rows.map((r) => Array.from(r).filter((row) => row < 12)));
    expect(got.warnings.join("\n")).toMatch(new RegExp(`${zed} answered ids .* are not in the catalog this eval uses`));
  });

  it("fails at once with a clear message when the key is refused, never quoting it", async () => {
    const wrong = "wrong-key-wrong-key-wrong";
    let calls = 0;
    const counting: typeof fetch = (input, init) => (calls++, fetch(input, init));
    const e = (await rankThroughApi({ url: server.url, key: wrong, queries: ["dress"], itemIds, fetch: counting }).catch((x: unknown) => x)) as TrainError;
    expect(e).toBeInstanceOf(TrainError);
    expect(e.message).toMatch(/the API refused the key \(401\); pass an API key with read access \(--key or VITRINE_API_KEY\)/);
    expect(e.message).not.toContain(wrong);
    expect(calls).toBe(1);
  });

  it("retries once on 5xx (honouring Retry-After), then fails naming the URL and status", async () => {
    let calls = 0;
    const flaky: typeof fetch = (input, init) => (++calls === 1 ? Promise.resolve(new Response("busy", { status: 503, headers: { "retry-after": "0" } })) : fetch(input, init));
    const ok = await rankThroughApi({ url: server.url, key, queries: ["dress red"], itemIds, k: 3, fetch: flaky });
    expect(calls).toBe(2);
    expect(ok.rows[0]!.length).toBe(3);

    const down: typeof fetch = async () => new Response(JSON.stringify({ error: { code: "UNAVAILABLE", message: "warming up" } }), { status: 503, headers: { "retry-after": "0" } });
    await expect(rankThroughApi({ url: server.url, key, queries: ["dress"], itemIds, fetch: down })).rejects.toThrow(
      `POST ${server.url}/v1/retrieve (query "dress") answered 503, also on retry: UNAVAILABLE: warming up`,
    );
  });

  it("names the URL and status of a non-JSON or unexpected answer, and of a 4xx", async () => {
    const html: typeof fetch = async () => new Response("<html>hi</html>", { status: 200, headers: { "content-type": "text/html" } });
    await expect(rankThroughApi({ url: "http://127.0.0.1:9/", key, queries: ["dress"], itemIds, fetch: html })).rejects.toThrow(
      /POST http:\/\/127\.0\.0\.1:9\/v1\/retrieve \(query "dress"\) answered 200 with a body that is not JSON \(text\/html\)/,
    );
    const odd: typeof fetch = async () => Response.json({ items: [{ score: 1 }], path: "qid", release: "r001" });
    await expect(rankThroughApi({ url: "http://127.0.0.1:9", key, queries: ["dress"], itemIds, fetch: odd })).rejects.toThrow(/answered 200 with an unexpected body: items\[0\]\.id is not a string/);
    await expect(rankThroughApi({ url: server.url, key, queries: ["dress"], itemIds, release: "r777" })).rejects.toThrow(/answered 404: RELEASE_NOT_FOUND/);
  });

  it("times out each request, retries once, then fails", async () => {
    let calls = 0;
    const hang: typeof fetch = (_input, init) =>
      new Promise((_, reject) => {
        calls++;
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    await expect(rankThroughApi({ url: "http://127.0.0.1:9", key, queries: ["dress"], itemIds, timeoutMs: 30, fetch: hang })).rejects.toThrow(/timed out after 30 ms, also on retry/);
    expect(calls).toBe(2);
    // A port nothing listens on (bound, then freed): a network error, retried once.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await expect(rankThroughApi({ url: `http://127.0.0.1:${port}`, key, queries: ["dress"], itemIds })).rejects.toThrow(/network error \(ECONNREFUSED\), also on retry/);
  });

  it("rejects a bad URL or k before any request", async () => {
    let calls = 0;
    const spy: typeof fetch = async () => (calls++, Response.json({}));
    await expect(rankThroughApi({ url: "ftp://x", key, queries: ["a"], itemIds, fetch: spy })).rejects.toThrow(/must start with http:\/\/ or https:\/\//);
    await expect(rankThroughApi({ url: "localhost:8080", key, queries: ["a"], itemIds, fetch: spy })).rejects.toThrow(/must start with http/);
    await expect(rankThroughApi({ url: "not a url", key, queries: ["a"], itemIds, fetch: spy })).rejects.toThrow(/is not a URL/);
    await expect(rankThroughApi({ url: server.url, key, queries: ["a"], itemIds, k: 1_001, fetch: spy })).rejects.toThrow(/k must be an integer in \[1, 1000\]/);
    await expect(rankThroughApi({ url: server.url, key: "", queries: ["a"], itemIds, fetch: spy })).rejects.toThrow(/API key is empty/);
    expect(calls).toBe(0);
    expect(retrieveEndpoint("https://h.example/vitrine/?x=1")).toBe("https://h.example/vitrine/v1/retrieve");
    expect(await rankThroughApi({ url: server.url, key, queries: [], itemIds, fetch: spy })).toMatchObject({ rows: [], release: null, paths: {} });
  });
});
