// SDK ↔ API over real HTTP (serveNode on 127.0.0.1, a random port), and the SDK bundle's contents.
import { build } from "esbuild";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { memoryService } from "../api/http/test-support/memory-service.ts";
import { ADMIN_KEY, KEYS, READ_KEY } from "../api/http/test-support/fixtures.ts";
import { createClient, VitrineError } from "./index.ts";

const silent = pino({ level: "silent" });

async function rejection(p: Promise<unknown>): Promise<VitrineError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VitrineError);
  return e as VitrineError;
}

describe("SDK over HTTP", () => {
  let server: NodeServer;
  beforeAll(async () => {
    server = await serveNode({ service: memoryService(), port: 0, host: "127.0.0.1", logger: silent, config: { keys: KEYS, rateLimit: null } });
  });
  afterAll(async () => server.close());

  it("retrieve, lookup, items.get, releases.*, health", async () => {
    const vitrine = createClient({ url: server.url, apiKey: READ_KEY });
    const admin = createClient({ url: `${server.url}/`, apiKey: ADMIN_KEY });

    const r = await vitrine.retrieve("red dress", { k: 5, filters: { brand: "Acme", price: { lte: 45 } } });
    expect(r.items.map((i) => i.id)).toEqual(["i1"]);
    expect(r.release).toBe("r002");
    expect(r.constraints.fromCaller).toEqual({
      op: "and",
      filters: [
        { op: "eq", field: "brand", value: "Acme" },
        { op: "range", field: "price", lte: 45 },
      ],
    });
    const expr = await vitrine.retrieve("shoes", { filters: { op: "in", field: "category", values: ["Shoes"] } });
    expect(expr.items.map((i) => i.id).sort()).toEqual(["i3", "i4"]);

    expect(await vitrine.lookup("Dress red")).toMatchObject({ terms: "dress red", hit: true });
    expect((await vitrine.items.get(["i4", "i1", "zzz"])).map((i) => i.id)).toEqual(["i4", "i1"]);
    // 1000 long ids: the SDK sends queries as POST, so no URL-length limit applies.
    const many = Array.from({ length: 1000 }, (_, i) => `id-${i}-${"x".repeat(200)}`);
    expect(await vitrine.items.get(many)).toEqual([]);

    const releases = await vitrine.releases.list();
    expect(releases.map((x) => [x.id, x.active])).toEqual([
      ["r002", true],
      ["r001", false],
    ]);
    expect(await admin.releases.activate("r001")).toMatchObject({ id: "r001", active: true });
    expect((await vitrine.retrieve("red")).release).toBe("r001");
    expect(await admin.releases.rollback()).toMatchObject({ id: "r002", active: true });
    expect(await createClient({ url: server.url, apiKey: "" }).health()).toEqual({ ok: true, release: "r002" });
  });

  it("auth failures are VitrineErrors with the server's code and status", async () => {
    const none = await rejection(createClient({ url: server.url, apiKey: "" }).retrieve("red"));
    expect(none).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    const wrong = await rejection(createClient({ url: server.url, apiKey: "wrong-key-0000000000000" }).retrieve("red"));
    expect(wrong).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    expect(wrong.message).toContain("not recognised");
    expect(wrong.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const forbidden = await rejection(createClient({ url: server.url, apiKey: READ_KEY }).releases.activate("r001"));
    expect(forbidden).toMatchObject({ code: "FORBIDDEN", status: 403 });
    expect(forbidden.message).toContain("admin key");
  });

  it("validation errors carry the message and the field issues", async () => {
    const vitrine = createClient({ url: server.url, apiKey: READ_KEY });
    const k0 = await rejection(vitrine.retrieve("red", { k: 0 }));
    expect(k0).toMatchObject({ code: "INVALID_INPUT", status: 400, message: "k: k must be ≥ 1" });
    expect(k0.issues).toEqual([{ field: "k", message: "k must be ≥ 1" }]);
    const badFilter = await rejection(vitrine.retrieve("red", { filters: { op: "eq", field: "colour" as "brand", value: "red" } }));
    expect(badFilter.code).toBe("INVALID_FILTER");
    expect(badFilter.message).toContain('unknown filter field "colour"');
    const empty = await rejection(vitrine.retrieve("   "));
    expect(empty.message).toBe("query: query is empty; send the user's search text");
    const rel = await rejection(createClient({ url: server.url, apiKey: ADMIN_KEY }).releases.activate("r999"));
    expect(rel).toMatchObject({ code: "RELEASE_NOT_FOUND", status: 404 });
  });

  it("network failures are VitrineErrors too", async () => {
    const down = createClient({ url: "http://127.0.0.1:9", apiKey: READ_KEY });
    const e = await rejection(down.retrieve("red"));
    expect(e).toMatchObject({ code: "NETWORK_ERROR", status: 0 });
  });

  it("uses an injected fetch and extra headers", async () => {
    const seen: string[] = [];
    const vitrine = createClient({
      url: server.url,
      apiKey: READ_KEY,
      headers: { "x-request-id": "sdk-test-1" },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        seen.push(res.headers.get("x-request-id") ?? "");
        return res;
      },
    });
    await vitrine.lookup("red");
    expect(seen).toEqual(["sdk-test-1"]);
  });
});

describe("SDK rate limit over HTTP", () => {
  it("429 → VitrineError RATE_LIMITED with retryAfter", async () => {
    const server = await serveNode({ service: memoryService(), port: 0, host: "127.0.0.1", logger: silent, config: { keys: KEYS, rateLimit: { perSecond: 0.5, burst: 2 } } });
    try {
      const vitrine = createClient({ url: server.url, apiKey: READ_KEY });
      await vitrine.lookup("a");
      await vitrine.lookup("b");
      const e = await rejection(vitrine.lookup("c"));
      expect(e).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfter: 2 });
      // The REST side says the same in Retry-After.
      const res = await fetch(`${server.url}/v1/releases`, { headers: { authorization: `Bearer ${READ_KEY}` } });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("2");
      // Another key is unaffected.
      expect(await createClient({ url: server.url, apiKey: ADMIN_KEY }).lookup("a")).toMatchObject({ terms: "a" });
    } finally {
      await server.close();
    }
  });
});

describe("SDK bundle", () => {
  it("contains no server code: no api/ or core/ modules, no hono, no tRPC server runtime", async () => {
    const result = await build({
      entryPoints: [new URL("./index.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      metafile: true,
      outfile: "vitrine-sdk.js",
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => /(^|\/)(api|core|lancedb|ingest|gpu-jobs)\//.test(p) && !p.includes("node_modules"))).toEqual([]);
    expect(inputs.filter((p) => /node_modules\/(hono|@hono|zod|pino|prom-client)\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith("sdk/") || p.includes("/sdk/")).length).toBeGreaterThan(0);
    // @trpc/client imports tRPC's shared core (observable, error codes, the TRPCError shape); after
    // tree-shaking nothing of the server runtime (procedure builder, router, request handler) remains.
    // jobs.watch's SSE consumer lives in the chunk named resolveResponse (beside the server's SSE
    // producer), so that chunk may contribute; the server strings checked below must not.
    const output = Object.values(result.metafile.outputs)[0]!;
    const contributing = Object.entries(output.inputs)
      .filter(([, v]) => v.bytesInOutput > 0)
      .map(([p]) => p);
    expect(contributing.filter((p) => /@trpc\/server\/dist\/(initTRPC|contentTypeParsers|parseTRPCMessage|adapters)/.test(p))).toEqual([]);
    const text = result.outputFiles[0]!.text;
    for (const serverString of [
      "No procedure found",
      "rate limit exceeded",
      "internal error; the server logged",
      "Unsupported content-type",
      "Invalid connection params shape",
      "Cannot use stream-like response",
    ]) {
      expect(text).not.toContain(serverString);
    }
    // ~25 KB of client + ~15 KB for SSE (eventsource, its parser, tRPC's stream consumer).
    expect(output.bytes).toBeLessThan(48_000);
  });
});
