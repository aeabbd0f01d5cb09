// Issue 13 B and F (API): auth before any work on every route, a per-address limit for requests
// without a usable key, and no server paths in responses — in process, over the in-memory service.
// The same over real sockets (mid-body disconnects, 1 MB keyless bodies) is api/node/serve-node.test.ts.
import { describe, expect, it } from "vitest";
import { createApp, type AppOptions } from "./app.ts";
import { addressBucket, clientAddressOf } from "./client-address.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { createRedactor } from "./redact.ts";
import { PROCEDURE_ACCESS } from "./router.ts";
import { ADMIN_KEY, KEYS, READ_KEY, testApp, trpcQuery, withKey } from "./test-support/fixtures.ts";
import { memoryService } from "./test-support/memory-service.ts";
import { ServiceError } from "../service/types.ts";
import { JobError, type JobEvent, type JobsService } from "../jobs/types.ts";
import type { JobRecord } from "../../core/jobs/index.ts";

type Json = Record<string, any>;

/** A request body the server can only learn by reading: counts every read, holds nothing until asked. */
function watchedBody(text = '{"query":"red dress"}') {
  const state = { pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls++;
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    },
    // highWaterMark 0: nothing is pulled until someone reads.
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const post = (key: string | null, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): RequestInit =>
  ({
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body,
    duplex: "half",
  }) as RequestInit;

/** A filter nested `n` levels deep, as text (JSON.stringify of such depths is fine here, parse is not the point). */
function deepFilter(n: number): unknown {
  let f: unknown = { op: "eq", field: "brand", value: "Acme" };
  for (let i = 0; i < n; i++) f = { op: "not", filter: f };
  return f;
}

describe("auth before work", () => {
  it("every access level in the router is declared: the gate reads it before any input", () => {
    expect(PROCEDURE_ACCESS).toMatchObject({
      health: "public",
      retrieve: "read",
      lookup: "read",
      "items.get": "read",
      "releases.list": "read",
      "releases.activate": "admin",
      "releases.rollback": "admin",
      "jobs.trigger": "admin",
      "jobs.watch": "read",
      "jobs.logs": "read",
      "jobs.cancel": "admin",
    });
  });

  it("keyless, wrong-key and malformed-key POSTs are 401 with the body never read (REST, tRPC, batch)", async () => {
    const { app, service } = testApp();
    const paths = [
      "/v1/retrieve",
      "/v1/items:get",
      "/v1/releases/r001/activate",
      "/trpc/retrieve",
      "/trpc/retrieve,lookup?batch=1",
      "/trpc/releases.activate",
      "/trpc/jobs.trigger",
      "/trpc/nope",
      "/v2/anything",
    ];
    for (const path of paths) {
      for (const [key, extra] of [
        [null, {}],
        ["wrong-key-wrong-key-wrong", {}],
        [null, { authorization: "Basic abc" }],
      ] as const) {
        const { stream, state } = watchedBody();
        const r = await app.request(path, post(key, stream, extra));
        expect(r.status, `${path} ${key}`).toBe(401);
        const body = (await r.json()) as Json;
        expect(path.startsWith("/trpc") ? body.error.data.code : body.error.code).toBe("UNAUTHORIZED");
        expect(state.pulls, `${path}: body read before auth`).toBe(0);
      }
    }
    expect(service.calls).toEqual([]);
  });

  it("a read key on an admin operation is 403 and a rate-limited key 429, both before the body", async () => {
    let now = 0;
    const { app } = testApp({ rateLimit: { perSecond: 1, burst: 3 }, now: () => now });
    for (const path of ["/trpc/releases.activate", "/trpc/jobs.trigger", "/v1/releases/r001/activate"]) {
      const { stream, state } = watchedBody('{"release":"r001"}');
      const r = await app.request(path, post(READ_KEY, stream));
      expect([path, r.status, state.pulls]).toEqual([path, 403, 0]);
    }
    // A batch of 3 calls costs 3 tokens: one more than the bucket holds after one call.
    expect((await app.request("/v1/releases", withKey(ADMIN_KEY))).status).toBe(200);
    const { stream, state } = watchedBody('{"0":{"query":"a"},"1":{"query":"b"},"2":{"query":"c"}}');
    const batch = await app.request("/trpc/retrieve,retrieve,retrieve?batch=1", post(ADMIN_KEY, stream));
    expect([batch.status, batch.headers.get("retry-after"), state.pulls]).toEqual([429, "1", 0]);
    now += 1_000;
    expect((await app.request("/v1/retrieve", withKey(ADMIN_KEY, { body: { query: "red" } }))).status).toBe(200);
  });

  it("a 1,000-deep filter without a key is 401, not 400 (tRPC POST, GET ?input=, batch; REST)", async () => {
    const { app } = testApp();
    const input = { query: "red", filters: deepFilter(1_000) };
    const cases: [string, RequestInit][] = [
      ["/trpc/retrieve", withKey(null, { body: input })],
      [trpcQuery("retrieve", input), withKey(null)],
      [`/trpc/retrieve,lookup?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: input, 1: { query: "x" } }))}`, withKey(null)],
      ["/v1/retrieve", withKey(null, { body: input })],
      ["/trpc/retrieve", withKey("wrong-key-wrong-key-wrong", { body: input })],
    ];
    for (const [path, init] of cases) expect((await app.request(path, init)).status, path.slice(0, 60)).toBe(401);
    // With a key, the same input is the depth guard's 400.
    const keyed = await app.request("/trpc/retrieve", withKey(READ_KEY, { body: input }));
    expect(keyed.status).toBe(400);
    expect(((await keyed.json()) as Json).error.data.code).toBe("INVALID_INPUT");
  });

  it("SSE subscriptions and GET queries need the key first too; public routes stay public", async () => {
    const { app } = testApp();
    expect((await app.request(trpcQuery("jobs.watch", { id: "j20260101-000000-abcd" }))).status).toBe(401);
    expect((await app.request(trpcQuery("jobs.logs", { id: "j20260101-000000-abcd" }))).status).toBe(401);
    expect((await app.request(trpcQuery("health"))).status).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/v1/openapi.json")).status).toBe(200);
    // A batch that mixes the public health with a read call needs the read key.
    expect((await app.request("/trpc/health,releases.list?batch=1&input={}")).status).toBe(401);
    expect((await app.request("/trpc/health,releases.list?batch=1&input={}", withKey(READ_KEY))).status).toBe(200);
    // Percent-encoding a procedure's name does not change what it needs.
    expect((await app.request("/trpc/releases%2Eactivate", withKey(READ_KEY, { body: { release: "r001" } }))).status).toBe(403);
  });
});

describe("per-address limit of requests without a usable key", () => {
  const addressed = (over: Partial<AppOptions> = {}) => {
    let now = 0;
    const app = createApp({
      service: memoryService(),
      keys: KEYS,
      unauthRateLimit: { perSecond: 10, burst: 20 },
      clientAddress: (c) => c.req.header("x-test-peer") ?? null,
      now: () => now,
      ...over,
    });
    return { app, tick: (ms: number) => void (now += ms) };
  };
  const from = (peer: string, key: string | null) => withKey(key, { headers: { "x-test-peer": peer } });

  it("500 wrong-key requests: 401 for the burst, then 429 with Retry-After; a valid key from the same address is unaffected", async () => {
    const { app, tick } = addressed();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 500; i++) {
      const r = await app.request("/v1/releases", from("203.0.113.7", `wrong-key-${String(i).padStart(12, "0")}`));
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get("retry-after");
        expect(((await r.json()) as Json).error).toMatchObject({ code: "RATE_LIMITED", message: expect.stringContaining("without a valid API key") });
      }
    }
    expect(statuses.filter((s) => s === 401).length).toBe(20);
    expect(statuses.filter((s) => s === 429).length).toBe(480);
    expect(retryAfter).toBe("1");
    // The well-behaved client behind the same address, and another address, are not touched.
    expect((await app.request("/v1/releases", from("203.0.113.7", READ_KEY))).status).toBe(200);
    expect((await app.request(trpcQuery("releases.list"), from("203.0.113.7", READ_KEY))).status).toBe(200);
    expect((await app.request("/v1/releases", from("198.51.100.1", null))).status).toBe(401);
    // Public routes are not limited; keyless tRPC, unknown routes and SSE share the address's bucket.
    expect((await app.request("/healthz", from("203.0.113.7", null))).status).toBe(200);
    expect((await app.request(trpcQuery("jobs.watch", { id: "x" }), from("203.0.113.7", null))).status).toBe(429);
    expect((await app.request("/nope", from("203.0.113.7", null))).status).toBe(429);
    // The bucket refills at perSecond.
    tick(1_000);
    const after = await Promise.all(Array.from({ length: 12 }, () => app.request("/v1/releases", from("203.0.113.7", null))));
    expect(after.map((r) => r.status).filter((s) => s === 401).length).toBe(10);
  });

  it("IPv6 clients are limited by /64 and IPv4-mapped addresses as IPv4", async () => {
    const { app } = addressed({ unauthRateLimit: { perSecond: 1, burst: 2 } });
    const statuses = [];
    for (const peer of ["2001:db8:1:2::1", "2001:db8:1:2:aaaa::9", "2001:0db8:0001:0002:ffff:ffff:ffff:ffff"]) statuses.push((await app.request("/v1/releases", from(peer, null))).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect((await app.request("/v1/releases", from("2001:db8:1:3::1", null))).status).toBe(401);
  });

  it("off when configured null: 401s only", async () => {
    const { app } = addressed({ unauthRateLimit: null });
    for (let i = 0; i < 50; i++) expect((await app.request("/v1/releases", from("203.0.113.7", null))).status).toBe(401);
  });
});

describe("client addresses", () => {
  it("the socket address unless proxies are trusted; then the n-th X-Forwarded-For entry from the right", () => {
    expect(clientAddressOf("10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5");
    expect(clientAddressOf("10.0.0.5", "6.6.6.6, 1.2.3.4", 1)).toBe("1.2.3.4");
    expect(clientAddressOf("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", 2)).toBe("1.2.3.4");
    expect(clientAddressOf("10.0.0.5", "1.2.3.4", 3)).toBe("1.2.3.4");
    expect(clientAddressOf("10.0.0.5", null, 1)).toBe("10.0.0.5");
    expect(clientAddressOf(undefined, undefined, 0)).toBeNull();
  });

  it("buckets: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64, unknown together", () => {
    expect(addressBucket("127.0.0.1")).toBe("127.0.0.1");
    expect(addressBucket("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("2001:DB8:0:0:1::1%eth0")).toBe("2001:db8:0:0::/64");
    expect(addressBucket(null)).toBe("unknown");
    expect(addressBucket("not an address")).toBe("other:not an address");
  });

  it("the limiter holds at most maxBuckets: a flood of new addresses cannot grow it without bound", () => {
    let now = 0;
    const l = createRateLimiter({ perSecond: 10, burst: 20 }, { now: () => now, maxBuckets: 100 });
    for (let i = 0; i < 10_000; i++) {
      l.take(`10.0.${i >> 8}.${i & 255}`);
      now += 1;
    }
    expect(l.size).toBeLessThanOrEqual(100);
    // A busy bucket that keeps being used survives the churn (least recently used goes first).
    const hot = createRateLimiter({ perSecond: 1, burst: 3 }, { now: () => now, maxBuckets: 10 });
    for (let i = 0; i < 3; i++) hot.take("hot");
    for (let i = 0; i < 100; i++) {
      hot.take(`cold-${i}`);
      if (i % 5 === 0) expect(hot.take("hot").ok).toBe(false);
    }
  });
});

describe("no server paths in responses", () => {
  const DATA = "/srv/vitrine/data";
  const redact = createRedactor([
    { path: DATA, as: "<data>" },
    { path: "/opt/vitrine", as: "<app>" },
  ]);

  it("rewrites the named paths, home and temp directories; leaves URLs, relative paths and other text alone", () => {
    expect(redact(`cannot open ${DATA}/releases/r001.lance: gone`)).toBe("cannot open <data>/releases/r001.lance: gone");
    expect(redact(`--data ${DATA}: no such directory`)).toBe("--data <data>: no such directory");
    // A sibling that only starts like the data dir is another directory (then left to the generic rules).
    expect(redact(`${DATA}-old/x`)).toBe(`${DATA}-old/x`);
    expect(redact("spawn /opt/vitrine/bin/vitrine.js")).toBe("spawn <app>/bin/vitrine.js");
    expect(redact("model in /home/alice/models/m1 and /root/x, temp /tmp/vitrine-x1/a, mac /private/var/tmp/y")).toBe("model in ~/models/m1 and ~/x, temp <tmp>/vitrine-x1/a, mac <tmp>/y");
    expect(redact('{"path":"/tmp/a"}')).toBe('{"path":"<tmp>/a"}');
    expect(redact("file:///home/bob/x.png")).toBe("file://~/x.png");
    for (const same of ["https://cdn.example.com/home/banner.png", "images/red.png", "Women>Dresses", "a/b", "/v1/retrieve", "/hometown/x", "/tmpfs"]) {
      expect(redact(same)).toBe(same);
    }
  });

  it("walks objects and arrays, returns untouched values as they are, and keeps __proto__ a plain key", () => {
    const clean = { items: [{ id: "a", title: "Red dress", price: 3 }], n: 1 };
    expect(redact(clean)).toBe(clean);
    const dirty = JSON.parse(`{"lines":["job dir ${DATA}/jobs/j1","step 1"],"nested":{"__proto__":"${DATA}"},"at":null}`) as Json;
    const out = redact(dirty);
    expect(out).not.toBe(dirty);
    expect(out.lines).toEqual(["job dir <data>/jobs/j1", "step 1"]);
    expect(Object.getPrototypeOf(out.nested)).toBe(Object.prototype);
    expect(Object.hasOwn(out.nested, "__proto__")).toBe(true);
    expect(JSON.stringify(out)).not.toContain(DATA);
    expect(dirty.lines[0]).toContain(DATA);
  });

  const record = (over: Partial<JobRecord> = {}): JobRecord =>
    ({
      id: "j20260101-000000-abcd",
      kind: "retrain",
      state: "failed",
      error: `stage export failed: cannot write ${DATA}/model/model.onnx`,
      config: { modelDir: `${DATA}/model` },
      ...over,
    }) as unknown as JobRecord;

  const fakeJobs = (): JobsService => ({
    trigger: async () => record({ state: "queued", error: null }),
    get: async (id) => {
      if (id !== "j20260101-000000-abcd") throw new JobError("JOB_NOT_FOUND", `no job ${id} in ${DATA}/jobs`);
      return record();
    },
    list: async () => [record()],
    cancel: async () => record(),
    resume: async () => record(),
    logs: async () => [`job dir ${DATA}/jobs/j20260101-000000-abcd`, "step 1", `Error: ENOENT: no such file, open '${DATA}/model/x'`],
    async *watch(): AsyncIterable<JobEvent> {
      yield { type: "snapshot", job: record() };
      yield { type: "log", job: record(), line: `wrote ${DATA}/jobs/j1/ckpt` };
    },
    close: async () => undefined,
  });

  it("errors, release info, job records, logs and SSE events leave as <data>/…, REST and tRPC alike", async () => {
    const base = memoryService();
    const service = {
      ...base,
      retrieve: async () => Promise.reject(new ServiceError("BAD_REQUEST", `cannot read ${DATA}/releases/r002/items.lance`)),
      lookup: async () => Promise.reject(new ServiceError("UNAVAILABLE", `store at ${DATA} is reloading`)),
      listReleases: async () => (await base.listReleases()).map((r) => ({ ...r, model: `onnx:${DATA}/models/2026` })),
    };
    const app = createApp({ service, jobs: fakeJobs(), keys: KEYS, redactPaths: [{ path: DATA, as: "<data>" }] });
    const texts: string[] = [];
    const send = async (path: string, init: RequestInit) => {
      const r = await app.request(path, init);
      const text = await r.text();
      texts.push(text);
      return { status: r.status, text };
    };
    const id = { id: "j20260101-000000-abcd" };
    expect((await send("/v1/retrieve", withKey(READ_KEY, { body: { query: "red" } }))).text).toContain("cannot read <data>/releases/r002/items.lance");
    expect((await send(trpcQuery("retrieve", { query: "red" }), withKey(READ_KEY))).text).toContain("<data>/releases");
    expect((await send(trpcQuery("lookup", { query: "red" }), withKey(READ_KEY))).status).toBe(503);
    expect((await send("/v1/releases", withKey(READ_KEY))).text).toContain("onnx:<data>/models/2026");
    expect((await send(trpcQuery("releases.list"), withKey(READ_KEY))).text).toContain("<data>/models");
    expect((await send(trpcQuery("jobs.get", id), withKey(READ_KEY))).text).toContain("cannot write <data>/model/model.onnx");
    expect((await send(trpcQuery("jobs.get", { id: "j20260101-000000-zzzz" }), withKey(READ_KEY))).text).toContain("in <data>/jobs");
    expect((await send(trpcQuery("jobs.list", {}), withKey(READ_KEY))).text).toContain("<data>/model");
    expect((await send(trpcQuery("jobs.logs", id), withKey(READ_KEY))).text).toContain("job dir <data>/jobs/j20260101-000000-abcd");
    const sse = await send(trpcQuery("jobs.watch", id), withKey(READ_KEY));
    expect(sse.status).toBe(200);
    expect(sse.text).toContain("wrote <data>/jobs/j1/ckpt");
    expect((await send("/trpc/jobs.trigger", withKey(ADMIN_KEY, { body: { kind: "retrain" } }))).text).toContain("<data>/model");
    for (const t of texts) expect(t).not.toContain(DATA);
  });
});

describe("values counted before the parse", () => {
  it("counts commas, brackets and braces outside strings, escapes included, and stops at the first one too many", async () => {
    const { assertJsonValueCount } = await import("./input-guard.ts");
    const ok = (t: string, max: number) => expect(() => assertJsonValueCount(t, max), t).not.toThrow();
    const bad = (t: string, max: number) => expect(() => assertJsonValueCount(t, max), t).toThrow(/more than \d+ JSON values/);
    ok('{"a":[1,2]}', 3);
    bad('{"a":[1,2,3]}', 3);
    ok('{"q":"a,b,c,[{,,,"}', 1);
    ok('{"q":"say \\"a,b\\", then \\\\"}', 1);
    bad('{"q":"x\\\\",  "r":[1,2]}', 3);
    ok('"unterminated, , ,', 0);
    // A 600 KB document of 64,000 values is refused after scanning the first few dozen KB.
    const big = `[${Array.from({ length: 64_000 }, (_, i) => `"b${i}"`).join(",")}]`;
    const t = performance.now();
    for (let i = 0; i < 20; i++) bad(big, 8_192);
    expect((performance.now() - t) / 20).toBeLessThan(5);
  });

  it("issue 13 A's cost bomb is a 400 before JSON.parse on REST and tRPC; a maximal valid filter, and a batch of them, still pass", async () => {
    const { app } = testApp();
    const brands = (n: number, off = 0) => Array.from({ length: n }, (_, i) => `b${off + i}`);
    const bomb = { query: "red", k: 1000, filters: { op: "not", filter: { op: "or", filters: Array.from({ length: 64 }, (_, i) => ({ op: "in", field: "brand", values: brands(1000, i * 1000) })) } } };
    for (const path of ["/v1/retrieve", "/trpc/retrieve"]) {
      const r = await app.request(path, withKey(READ_KEY, { body: bomb }));
      expect(r.status, path).toBe(400);
      const body = (await r.json()) as Json;
      const err = path.startsWith("/trpc") ? body.error.data : body.error;
      expect(err).toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("more than 8192 JSON values") });
    }
    const max = { query: "red", k: 1000, filters: { op: "or", filters: Array.from({ length: 8 }, (_, i) => ({ op: "in", field: "brand", values: brands(125, i * 125) })) } };
    expect((await app.request("/v1/retrieve", withKey(READ_KEY, { body: max }))).status).toBe(200);
    const batch = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String(i), max]));
    const r = await app.request(`/trpc/${Array(16).fill("retrieve").join(",")}?batch=1`, withKey(READ_KEY, { body: batch }));
    expect(r.status).toBe(200);
  });
});
