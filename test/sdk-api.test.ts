import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { importData } from "../ingest/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { createClient, VitrineError } from "../sdk/index.ts";

// The SDK against the real server over real HTTP, on a real LanceDB release: nothing doubled.
let dir: string;
let service: RetrievalService;
let server: NodeServer;
const keys = [
  { id: "app", key: "read-key-0123456789abcdef", role: "read" as const },
  { id: "ops", key: "admin-key-0123456789abcdef", role: "admin" as const },
  { id: "tiny", key: "limited-key-0123456789abcd", role: "read" as const },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-sdk-"));
  const brands = ["Acme", "Zed"];
  const types = [
    ["Dress", "Women>Dresses"],
    ["Hat", "Accessories>Hats"],
  ] as const;
  const items = [];
  let i = 0;
  for (const b of brands)
    for (const [t, c] of types) for (let v = 0; v < 10; v++) items.push({ id: `p${i++}`, title: `${b} ${v % 2 ? "red" : "blue"} ${t} ${v}`, brand: b, category: c, price: 5 + v });
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  await writeFile(join(dir, "clicks.jsonl"), ["red dress", "blue hat", "acme hat"].map((q, k) => JSON.stringify({ query: q, item_id: `p${k}` })).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, images: false, evalFraction: 0 });
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 20 });
  await publishRelease({ dataDir: data, encoder: createHashEncoder({ seed: 5 }), topK: 20, activate: false });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  server = await serveNode({ service, port: 0, config: { keys, logLevel: "silent", rateLimit: { perSecond: 1, burst: 1_000 } } });
});
afterAll(async () => {
  await server?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("SDK ↔ API over HTTP on a real release", () => {
  it("retrieves, looks up and fetches items", async () => {
    const app = createClient({ url: server.url, apiKey: keys[0]!.key });
    const r = await app.retrieve("red dress", { k: 5 });
    expect(r.release).toBe("r001");
    expect(r.path).toBe("qid");
    expect(r.items).toHaveLength(5);
    const f = await app.retrieve("dress", { k: 50, filters: { brand: "Zed", price: { lte: 9 } } });
    expect(f.items.length).toBeGreaterThan(0);
    // The caller's filter always holds; the category "dress" implies holds except on items marked relaxed.
    expect(f.items.every((x) => x.brand === "Zed" && x.price! <= 9)).toBe(true);
    expect(f.items.filter((x) => !x.relaxed).every((x) => x.category === "Women>Dresses")).toBe(true);
    expect(f.items.filter((x) => !x.relaxed).length).toBeGreaterThan(0);
    expect(f.constraints.relaxed.map((c) => c.field)).toEqual(["category"]);
    expect(await app.lookup("dress red")).toMatchObject({ hit: true, terms: "dress red" });
    const got = await app.items.get(["p3", "nope", "p1"]);
    expect(got.map((x) => x.id)).toEqual(["p3", "p1"]);
    expect((await app.releases.list()).map((x) => [x.id, x.active])).toEqual([
      ["r002", false],
      ["r001", true],
    ]);
  });

  it("lets an admin key activate and roll back, and refuses a read key", async () => {
    const app = createClient({ url: server.url, apiKey: keys[0]!.key });
    const ops = createClient({ url: server.url, apiKey: keys[1]!.key });
    await expect(app.releases.activate("r002")).rejects.toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect((await ops.releases.activate("r002")).active).toBe(true);
    expect((await app.retrieve("red dress", { k: 3 })).release).toBe("r002");
    expect((await ops.releases.rollback()).id).toBe("r001");
    expect((await app.retrieve("red dress", { k: 3 })).release).toBe("r001");
    await expect(ops.releases.activate("r777")).rejects.toMatchObject({ code: "RELEASE_NOT_FOUND", status: 404 });
  });

  it("surfaces auth and validation failures as VitrineError with the server's code and message", async () => {
    const anon = createClient({ url: server.url, apiKey: "wrong-key-wrong-key-wrong" });
    const e1 = await anon.retrieve("dress").catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(VitrineError);
    expect(e1).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    const app = createClient({ url: server.url, apiKey: keys[0]!.key });
    const e2 = (await app.retrieve("dress", { k: 0 }).catch((e: unknown) => e)) as VitrineError;
    expect(e2).toMatchObject({ code: "INVALID_INPUT", status: 400 });
    expect(e2.message).toMatch(/k must be ≥ 1/);
    const e3 = (await app.retrieve("dress", { filters: { op: "eq", field: "colour", value: "red" } as never }).catch((e: unknown) => e)) as VitrineError;
    expect(e3.message).toMatch(/unknown filter field "colour"/);
  });

  it("rate-limits per key over HTTP with 429 and Retry-After", async () => {
    const url = `${server.url}/v1/lookup?query=dress`;
    let limited: Response | null = null;
    for (let n = 0; n < 1_100 && !limited; n++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${keys[2]!.key}` } });
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited!.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    // Another key is not affected.
    expect((await fetch(url, { headers: { authorization: `Bearer ${keys[0]!.key}` } })).status).toBe(200);
  });
});
