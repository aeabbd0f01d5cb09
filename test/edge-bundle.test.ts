import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { EDGE_ACTIVE_KEY, EDGE_FORMAT, edgeLexiconKey, edgeMetaKey, edgeQidKey, queryId } from "../core/index.ts";
import { createCloudflareKv, kvBatches } from "../lancedb/index.ts";
import { edgeBundle, startEdge, type EdgeBundle, type EdgeSandbox } from "./fixtures/edge-miniflare.ts";

// What `wrangler deploy` uploads, measured the way wrangler checks it (gzip of all modules
// together), against Cloudflare's limits: 3 MiB gzipped on the free plan, 10 MiB on paid ones.
const MiB = 1024 * 1024;
const FREE_PLAN = 3 * MiB;
/** Our code and its packages, without jieba's dictionary: ≈ 0.19 MiB today; a budget so growth is noticed long before a limit. */
const JS_BUDGET = 0.3 * MiB;

const gzipped = (b: EdgeBundle, only?: (m: EdgeBundle["modules"][number]) => boolean) => gzipSync(Buffer.concat(b.modules.filter(only ?? (() => true)).map((m) => m.contents))).byteLength;

const LITE = "api/edge/worker-lite.ts";
let lite: EdgeSandbox | null = null;
afterAll(async () => {
  await lite?.dispose();
});

describe("the edge Worker's bundle", () => {
  it("fits Cloudflare's free plan: the full Worker (jieba's dictionary) under 3 MiB gzipped, the lite one far under; the JavaScript within its budget", async () => {
    const [full, small] = await Promise.all([edgeBundle(), edgeBundle(LITE)]);
    const sizes = { full: gzipped(full), fullJs: gzipped(full, (m) => m.type === "ESModule"), lite: gzipped(small) };
    console.log(
      `edge bundle, gzipped: worker.ts ${(sizes.full / MiB).toFixed(2)} MiB (JavaScript ${(sizes.fullJs / MiB).toFixed(2)} MiB), worker-lite.ts ${(sizes.lite / MiB).toFixed(2)} MiB; free plan ${FREE_PLAN / MiB} MiB`,
    );
    expect(full.modules.some((m) => m.type === "CompiledWasm")).toBe(true);
    expect(sizes.full).toBeLessThan(FREE_PLAN);
    expect(sizes.fullJs).toBeLessThan(JS_BUDGET);
    // The lite Worker carries no wasm at all.
    expect(small.modules.map((m) => m.type)).toEqual(["ESModule"]);
    expect(sizes.lite).toBeLessThan(JS_BUDGET);
  }, 120_000);

  it("the lite Worker answers Latin queries from KV and sends queries with Han characters to the origin (workerd)", async () => {
    // No origin listening: what the edge forwards comes back as its 503, which shows it was forwarded.
    lite = await startEdge({ originUrl: "http://127.0.0.1:9", apiKeys: "app:read-key-0123456789abcdef:read", entry: LITE });
    const kv = createCloudflareKv({ ...lite.kvApi, baseDelayMs: 1 });
    const items = [
      { id: "sku-1", score: 0.9, title: "red dress" },
      { id: "sku-2", score: 0.8, title: "red skirt" },
    ];
    const list = (q: string) => {
      const { qid, terms } = queryId(q);
      return { key: edgeQidKey("r001", qid), value: JSON.stringify({ format: EDGE_FORMAT, lists: [{ terms, items }] }) };
    };
    const meta = { format: EDGE_FORMAT, release: "r001", createdAt: "2026-01-01T00:00:00Z", qids: 2, listLength: 2, pushedAt: "2026-01-01T00:00:00Z" };
    const pairs = [
      list("red dress"),
      list("红色连衣裙"),
      { key: edgeLexiconKey("r001"), value: JSON.stringify({ format: EDGE_FORMAT, brands: [], categories: [] }) },
      { key: edgeMetaKey("r001"), value: JSON.stringify(meta) },
      { key: EDGE_ACTIVE_KEY, value: JSON.stringify({ format: EDGE_FORMAT, release: "r001", previous: null, pushedAt: meta.pushedAt }) },
    ];
    for await (const b of kvBatches(pairs)) await kv.putBatch(b);
    const ask = async (query: string) => {
      const res = await fetch(`${lite!.url}/v1/retrieve`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer read-key-0123456789abcdef" },
        body: JSON.stringify({ query, k: 2 }),
      });
      return { status: res.status, edge: res.headers.get("x-vitrine-edge"), json: (await res.json()) as any };
    };
    const latin = await ask("Red Dress");
    expect([latin.status, latin.edge, latin.json.items.map((i: { id: string }) => i.id)]).toEqual([200, "hit", ["sku-1", "sku-2"]]);
    const han = await ask("红色连衣裙");
    expect([han.status, han.edge, han.json.error.code]).toEqual([503, "error", "UNAVAILABLE"]);
    expect(han.json.error.message).toContain("origin API is unreachable");
  }, 120_000);
});
