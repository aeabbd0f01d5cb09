import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createJobManager, createLocalRunner } from "../api/jobs/index.ts";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder, EDGE_ACTIVE_KEY, EDGE_FORMAT } from "../core/index.ts";
import { createCloudflareKv, kvBatches, listReleases, moveEdgePointer, publishRelease, pushReleaseToEdge, switchRelease, type KvClient } from "../lancedb/index.ts";
import { publishCommand, releasesCommand } from "../lancedb/cli.ts";
import { edgeCommand } from "../lancedb/edge-command.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { createClient } from "../sdk/index.ts";
import { startEdge, type EdgeSandbox } from "./fixtures/edge-miniflare.ts";

// The edge follows the origin (issue 18): activate, rollback and gc at the origin — CLI, REST,
// tRPC, jobs — move and clean Workers KV; a pointer that names an incomplete release is never
// followed; the per-key limit holds across isolates. The Worker as wrangler bundles it, in workerd
// (Miniflare), in front of the real Node origin on real LanceDB releases.
const keys = [
  { id: "app", key: "read-key-0123456789abcdef", role: "read" as const },
  { id: "ops", key: "admin-key-0123456789abcdef", role: "admin" as const },
];
const [READ, ADMIN] = [keys[0]!.key, keys[1]!.key];
const SHOP = { items: 300, queries: 60, seed: 11 };
/** The Worker's pointer TTL: how late an isolate may see a move. */
const TTL_MS = 400;

let shop: Awaited<ReturnType<typeof importedShop>>;
let service: RetrievalService;
let origin: NodeServer;
let edge: EdgeSandbox;
let kv: KvClient;
// The origin server's environment: the edge's credentials, filled in once the sandbox is up.
const originEnv: Record<string, string> = {};
const queries = [...new Set(makeShop(SHOP).clicks.map((c) => c.query))];
let hitQueries: string[] = [];

async function retrieve(base: string, query: string, key = READ): Promise<{ status: number; edge: string | null; release: string; json: any }> {
  const res = await fetch(`${base}/v1/retrieve`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, k: 5 }),
  });
  const json = (await res.json()) as any;
  return { status: res.status, edge: res.headers.get("x-vitrine-edge"), release: json.release, json };
}

/** The releases the edge answers the hit queries from (every answer must be a hit). */
async function edgeReleases(): Promise<string[]> {
  const out: string[] = [];
  for (const q of hitQueries) {
    const r = await retrieve(edge.url, q);
    expect(r.edge, q).toBe("hit");
    out.push(r.release);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run a CLI runner with the edge's credentials in the environment (or not), capturing what it prints. */
async function cli(run: (argv: string[]) => Promise<number>, argv: string[], withCredentials = true): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  if (withCredentials) Object.assign(process.env, originEnv);
  try {
    return { code: await run(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    for (const k of Object.keys(originEnv)) delete process.env[k];
    log.mockRestore();
    error.mockRestore();
  }
}

async function adminRest(path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${origin.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  shop = await importedShop(SHOP);
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 1 }), topK: 60 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 2 }), topK: 60 });
  service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 0, edgeEnv: originEnv });
  origin = await serveNode({ service, port: 0, config: { keys, rateLimit: null } });
  edge = await startEdge({
    originUrl: origin.url,
    apiKeys: keys.map((k) => `${k.id}:${k.key}:${k.role}`).join(","),
    vars: { EDGE_POINTER_TTL_MS: String(TTL_MS) },
    twin: true,
  });
  Object.assign(originEnv, {
    CLOUDFLARE_ACCOUNT_ID: edge.kvApi.accountId,
    VITRINE_EDGE_KV_NAMESPACE: edge.kvApi.namespaceId,
    CLOUDFLARE_API_TOKEN: edge.kvApi.apiToken,
    VITRINE_EDGE_KV_ENDPOINT: edge.kvApi.endpoint,
  });
  kv = createCloudflareKv({ ...edge.kvApi, baseDelayMs: 1 });
}, 90_000);
afterAll(async () => {
  await edge?.dispose();
  await origin?.close();
  await service?.close();
  await shop?.cleanup();
});

describe("the edge follows the origin (workerd)", () => {
  it("edge sync points the edge at the origin's active release, pushing it first", async () => {
    // Nothing in KV yet: every retrieve is forwarded.
    expect((await retrieve(edge.url, queries[0]!)).edge).toBe("forward");
    const synced = await cli(edgeCommand, ["sync", "--data", shop.dataDir]);
    expect(synced.code, synced.err).toBe(0);
    expect(synced.out).toContain("pointer → r002");
    // Queries whose words name no brand or category: their whole list answers at the edge in every release.
    for (const q of queries) {
      const r = await retrieve(edge.url, q);
      if (r.edge === "hit" && r.json.constraints.fromQuery.length === 0) hitQueries.push(q);
      if (hitQueries.length === 6) break;
    }
    expect(hitQueries.length).toBeGreaterThanOrEqual(4);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r002"]));
    expect((await listReleases(shop.dataDir)).map((r) => [r.id, r.active, r.edge])).toEqual([
      ["r002", true, "serving"],
      ["r001", false, undefined],
    ]);
  });

  it("a REST rollback at the origin moves the edge: 0 answers from the rolled-back release once the pointer TTL has passed", async () => {
    const rolled = await adminRest("/v1/releases/rollback");
    expect(rolled.status, JSON.stringify(rolled.json)).toBe(200);
    expect(rolled.json).toMatchObject({ id: "r001", active: true, edge: "serving" });
    const movedAt = Date.now();
    // Requests started after the TTL: every one is answered from r001, the same lists as the origin's.
    const late: string[] = [];
    while (late.length < 30) {
      const startedAt = Date.now();
      const q = hitQueries[late.length % hitQueries.length]!;
      const r = await retrieve(edge.url, q);
      if (startedAt - movedAt > TTL_MS) {
        expect(r.edge).toBe("hit");
        late.push(r.release);
        if (late.length <= hitQueries.length) expect({ ...r.json, timings: 0 }).toEqual({ ...(await retrieve(origin.url, q)).json, timings: 0 });
      }
    }
    expect(late.filter((r) => r !== "r001")).toEqual([]);
    // r001 had no keys in KV: the rollback pushed them before moving either pointer.
    expect((await edge.kvKeys("r001/meta")).length).toBe(1);
  });

  it("tRPC activate moves it back; without credentials the CLI refuses and names --no-edge; edge status reports the drift --no-edge leaves, edge sync repairs it", async () => {
    const admin = createClient({ url: origin.url, apiKey: ADMIN });
    expect(await admin.releases.activate("r002")).toMatchObject({ id: "r002", active: true, edge: "serving" });
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r002"]));

    const refused = await cli(releasesCommand, ["rollback", "--data", shop.dataDir], false);
    expect(refused.code).toBe(5);
    expect(refused.err).toContain("EDGE_REQUIRED");
    expect(refused.err).toContain("--no-edge");
    expect((await service.health()).release).toBe("r002");

    const alone = await cli(releasesCommand, ["rollback", "--data", shop.dataDir, "--no-edge"], false);
    expect([alone.code, alone.out]).toEqual([0, "active: r001 (rolled back)"]);
    const drift = await cli(edgeCommand, ["status", "--data", shop.dataDir]);
    expect(drift.code).toBe(5);
    expect(drift.out).toMatch(/origin active\s+r001/);
    expect(drift.out).toMatch(/edge pointer \(KV\)\s+r002/);
    expect(drift.err).toContain("EDGE_DRIFT");
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r002"]));

    expect((await cli(edgeCommand, ["sync", "--data", shop.dataDir])).code).toBe(0);
    const ok = await cli(edgeCommand, ["status", "--data", shop.dataDir]);
    expect([ok.code, ok.out.split("\n").at(-1)]).toEqual([0, "in sync: the edge serves the origin's active release"]);
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r001"]));

    // REST: ?edge=false switches the origin alone; without it the edge comes along.
    const originOnly = await adminRest("/v1/releases/r002/activate?edge=false");
    expect([originOnly.status, originOnly.json.edge]).toEqual([200, undefined]);
    expect((await cli(edgeCommand, ["status", "--data", shop.dataDir])).code).toBe(5);
    expect((await adminRest("/v1/releases/r002/activate")).json).toMatchObject({ id: "r002", edge: "serving" });
    expect((await cli(edgeCommand, ["status", "--data", shop.dataDir])).code).toBe(0);
    // A server without the credentials refuses: 409, the message naming how to skip the edge.
    const saved = { ...originEnv };
    for (const k of Object.keys(originEnv)) delete originEnv[k];
    try {
      const conflict = await adminRest("/v1/releases/rollback");
      expect(conflict.status).toBe(409);
      expect(conflict.json.error).toMatchObject({ code: "CONFLICT", message: expect.stringContaining('"edge": false') });
    } finally {
      Object.assign(originEnv, saved);
    }
  });

  it("a publish job in a data directory with an edge brings the edge along (no publish.edge needed)", async () => {
    const jobs = await createJobManager({ dataDir: shop.dataDir, runner: createLocalRunner({ env: originEnv }) });
    try {
      const job = await jobs.trigger("publish", { publish: { topK: 60 } }, "ops");
      await jobs.idle();
      const done = await jobs.get(job.id);
      expect(done.state, (await jobs.logs(job.id)).join("\n")).toBe("succeeded");
      expect(done.release).toBe("r003");
      expect(done.stages[0]!.metrics).toMatchObject({ "edge pointer": "r003" });
    } finally {
      await jobs.close();
    }
    await service.activate("r003", { edge: false }); // the origin process learns of it (same pointer)
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r003"]));
  }, 60_000);

  it("never serves a half-moved pointer: written before its release's lists are complete, the edge keeps the release it served", async () => {
    await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 4 }), topK: 60, activate: false });
    const half = await pushReleaseToEdge({ dataDir: shop.dataDir, writer: kv, release: "r004", flip: false, limits: { maxKeys: 8 }, stopAfterBatches: 2 });
    expect(half).toMatchObject({ partial: true, flipped: false });
    // The pointer moved first (a crashed mover, another tool): it names r004, whose meta is missing.
    const early = { format: EDGE_FORMAT, release: "r004", previous: "r003", pushedAt: new Date().toISOString() };
    for await (const b of kvBatches([{ key: EDGE_ACTIVE_KEY, value: JSON.stringify(early) }])) await kv.putBatch(b);
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r003"]));
    // A fresh isolate, which never served anything, takes the pointer's previous release.
    await edge.mf.setOptions({ workers: edge.workers({}) });
    edge.url = (await edge.mf.ready).href.replace(/\/$/, "");
    expect(new Set(await edgeReleases())).toEqual(new Set(["r003"]));
    // Node never moves the pointer to an incomplete release, and edge status flags it.
    await expect(moveEdgePointer(shop.dataDir, kv, "r004")).rejects.toMatchObject({ code: "EDGE_INCOMPLETE" });
    const status = await cli(edgeCommand, ["status", "--data", shop.dataDir]);
    expect([status.code, status.out]).toEqual([5, expect.stringContaining("r004 (INCOMPLETE in KV)")]);
    // Once the push completes, the same pointer is followed.
    await pushReleaseToEdge({ dataDir: shop.dataDir, writer: kv, release: "r004", flip: false });
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r004"]));
    await switchRelease({ dataDir: shop.dataDir, action: { activate: "r004" }, edge: { kv, skipHint: "" } });
    expect((await cli(edgeCommand, ["status", "--data", shop.dataDir])).code).toBe(0);
  });

  it("releases gc --keep K deletes exactly the KV keys of the releases it collects", async () => {
    // Two more pushed releases (r005, r006), then the active one moved back to r002: kept are the
    // newest (keep 1: r006), the active r002 and its rollback target r006, and the edge's r002.
    for (const seed of [5, 6]) {
      const p = await cli(publishCommand, ["--data", shop.dataDir, "--seed", String(seed), "--top-k", "30", "--edge"]);
      expect(p.code, p.err).toBe(0);
    }
    await switchRelease({ dataDir: shop.dataDir, action: { activate: "r002" }, edge: { kv, skipHint: "" } });
    const before = await edge.kvKeys("");
    const releasesBefore = new Set(before.filter((k) => k !== EDGE_ACTIVE_KEY).map((k) => k.split("/")[0]));
    expect(releasesBefore).toEqual(new Set(["r001", "r002", "r003", "r004", "r005", "r006"]));
    const kept = new Set(["r002", "r006"]);

    const gc = await cli(releasesCommand, ["gc", "--keep", "1", "--data", shop.dataDir]);
    expect(gc.code, gc.err).toBe(0);
    const after = await edge.kvKeys("");
    expect(after.sort()).toEqual(before.filter((k) => k === EDGE_ACTIVE_KEY || kept.has(k.split("/")[0]!)).sort());
    expect(gc.out).toContain(`edge: deleted ${before.length - after.length} KV keys of r001, r003, r004, r005`);
    expect((await listReleases(shop.dataDir)).map((r) => [r.id, r.edge])).toEqual([
      ["r006", "pushed"],
      ["r002", "serving"],
    ]);
    // The edge still answers from r002.
    await sleep(TTL_MS + 50);
    expect(new Set(await edgeReleases())).toEqual(new Set(["r002"]));
  }, 90_000);

  it("the per-key rate limit holds across isolates (Durable Object), and timings count from the request's own start", async () => {
    await edge.mf.setOptions({ workers: edge.workers({ VITRINE_RATE_LIMIT: "0.01:6" }) });
    const [a, b] = [await edge.directUrl("edge"), await edge.directUrl("edge-b")];
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await retrieve(i % 2 ? b : a, hitQueries[i % hitQueries.length]!)).status);
    // One bucket of 6 for the key, whichever isolate answers (per isolate, all 12 would pass).
    expect(statuses.filter((s) => s === 200).length).toBe(6);
    expect(statuses.slice(6)).toEqual(Array(6).fill(429));
    const limited = await fetch(`${b}/v1/retrieve`, {
      method: "POST",
      headers: { authorization: `Bearer ${READ}`, "content-type": "application/json" },
      body: JSON.stringify({ query: hitQueries[0], k: 5 }),
    });
    expect([limited.status, limited.headers.get("x-vitrine-edge"), Number(limited.headers.get("retry-after")) > 0]).toEqual([429, "error", true]);
    expect(((await limited.json()) as any).error.code).toBe("RATE_LIMITED");
    // Another key has its own bucket.
    expect((await retrieve(a, hitQueries[0]!, ADMIN)).status).toBe(200);

    // A body that arrives 400 ms after the request began: `total` counts from the request's start
    // (measured from answerFromKv's own start, as before, it read ~0).
    const body = JSON.stringify({ query: hitQueries[1], k: 5 });
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        await sleep(400);
        c.enqueue(new TextEncoder().encode(body.slice(10)));
        c.close();
      },
    });
    const slow = await fetch(`${a}/v1/retrieve`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    const j = (await slow.json()) as any;
    expect(slow.headers.get("x-vitrine-edge")).toBe("hit");
    expect(j.timings.total).toBeGreaterThanOrEqual(250);
    expect(j.timings.total).toBeGreaterThanOrEqual(j.timings.kv);
  });
});
