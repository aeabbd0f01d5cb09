import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { memoryService } from "./test-support/memory-service.ts";
import { ADMIN_KEY, KEYS, READ_KEY, testApp, trpcQuery, withKey } from "./test-support/fixtures.ts";
import { ServiceError } from "../service/types.ts";
import type { AppLogger, MetricsRecorder, RequestSample } from "./telemetry.ts";

type Json = Record<string, any>;
const json = async (r: Response) => (await r.json()) as Json;

describe("REST /v1", () => {
  it("retrieve: a query with filters answers items from the service", async () => {
    const { app } = testApp();
    const r = await app.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "red dress", k: 5, filters: { brand: "Acme" } } }));
    expect(r.status).toBe(200);
    const body = await json(r);
    expect(body.items.map((i: Json) => i.id)).toEqual(["i1", "i2"]);
    expect(body.release).toBe("r002");
    expect(body.constraints.applied).toEqual({ op: "eq", field: "brand", value: "Acme" });
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lookup by query string", async () => {
    const { app } = testApp();
    const r = await app.request("/v1/lookup?query=Red%20Dress", withKey(READ_KEY));
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ terms: "dress red", hit: true, release: "r002" });
  });

  it("items: POST /v1/items:get and GET /v1/items?ids= keep the order asked", async () => {
    const { app } = testApp();
    const post = await app.request("/v1/items:get", withKey(READ_KEY, { body: { ids: ["i3", "nope", "i1"] } }));
    expect(post.status).toBe(200);
    expect((await json(post)).items.map((i: Json) => i.id)).toEqual(["i3", "i1"]);
    const get = await app.request("/v1/items?ids=i2,i1", withKey(READ_KEY));
    expect((await json(get)).items.map((i: Json) => i.id)).toEqual(["i2", "i1"]);
  });

  it("releases: list, activate and rollback (admin)", async () => {
    const { app } = testApp();
    const list = await json(await app.request("/v1/releases", withKey(READ_KEY)));
    expect(list.releases.map((r: Json) => [r.id, r.active])).toEqual([
      ["r002", true],
      ["r001", false],
    ]);
    const act = await app.request("/v1/releases/r001/activate", withKey(ADMIN_KEY, { method: "POST" }));
    expect(act.status).toBe(200);
    expect(await json(act)).toMatchObject({ id: "r001", active: true });
    const back = await app.request("/v1/releases/rollback", withKey(ADMIN_KEY, { method: "POST" }));
    expect(await json(back)).toMatchObject({ id: "r002", active: true });
  });

  it("accepts the key in x-api-key too", async () => {
    const { app } = testApp();
    const r = await app.request("/v1/releases", { headers: { "x-api-key": READ_KEY } });
    expect(r.status).toBe(200);
  });

  it("echoes a sane x-request-id and replaces a hostile one", async () => {
    const { app } = testApp();
    const ok = await app.request("/v1/releases", withKey(READ_KEY, { headers: { "x-request-id": "trace-42" } }));
    expect(ok.headers.get("x-request-id")).toBe("trace-42");
    const bad = await app.request("/nope", { headers: { "x-request-id": "<script>" } });
    expect(bad.headers.get("x-request-id")).not.toBe("<script>");
    expect((await json(bad)).error.requestId).toBe(bad.headers.get("x-request-id"));
  });
});

describe("tRPC /trpc", () => {
  it("every procedure answers", async () => {
    const { app } = testApp();
    const data = async (r: Response) => ((await json(r)).result as Json).data as Json;
    expect((await data(await app.request(trpcQuery("retrieve", { query: "red shoes" }), withKey(READ_KEY)))).items[0].id).toBe("i3");
    expect(await data(await app.request(trpcQuery("lookup", { query: "dress red" }), withKey(READ_KEY)))).toMatchObject({ hit: true });
    expect((await data(await app.request(trpcQuery("items.get", { ids: ["i4"] }), withKey(READ_KEY)))).items[0].id).toBe("i4");
    expect((await data(await app.request(trpcQuery("releases.list"), withKey(READ_KEY)))).releases).toHaveLength(2);
    expect(await data(await app.request("/trpc/releases.activate", withKey(ADMIN_KEY, { body: { release: "r001" } })))).toMatchObject({ id: "r001" });
    expect(await data(await app.request("/trpc/releases.rollback", withKey(ADMIN_KEY, { method: "POST" })))).toMatchObject({ id: "r002" });
    expect(await data(await app.request(trpcQuery("health")))).toEqual({ ok: true, release: "r002" });
  });

  it("queries also work as POST (method override, for long inputs)", async () => {
    const { app } = testApp();
    const r = await app.request("/trpc/items.get", withKey(READ_KEY, { body: { ids: ["i1"] } }));
    expect(r.status).toBe(200);
  });

  it("validation errors carry our code, the field issues and the requestId in error.data", async () => {
    const { app } = testApp();
    const r = await app.request(trpcQuery("retrieve", { query: "red", k: 0 }), withKey(READ_KEY));
    expect(r.status).toBe(400);
    const { error } = await json(r);
    expect(error.message).toBe("k: k must be ≥ 1");
    expect(error.data).toMatchObject({ code: "INVALID_INPUT", httpStatus: 400, issues: [{ field: "k", message: "k must be ≥ 1" }] });
    expect(error.data.requestId).toBe(r.headers.get("x-request-id"));
    expect(JSON.stringify(error)).not.toMatch(/stack|at .*\.ts:/);
  });

  it("a tRPC POST without Content-Type → 415 saying which to send, with the requestId", async () => {
    const { app } = testApp();
    const r = await app.request("/trpc/releases.rollback", { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(r.status).toBe(415);
    const { error } = await json(r);
    expect(error.data).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", requestId: r.headers.get("x-request-id") });
    expect(error.message).toContain("application/json");
  });

  it("unknown procedure → 404 NOT_FOUND; bad ?input= JSON → 400 INVALID_JSON", async () => {
    const { app } = testApp();
    const nf = await app.request("/trpc/nope", withKey(READ_KEY));
    expect(nf.status).toBe(404);
    expect((await json(nf)).error.data.code).toBe("NOT_FOUND");
    const bad = await app.request("/trpc/retrieve?input={oops", withKey(READ_KEY));
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.data.code).toBe("INVALID_JSON");
  });
});

describe("auth", () => {
  it("no key → 401, wrong key → 401, read key on admin operation → 403 (REST and tRPC)", async () => {
    const { app, service } = testApp();
    const cases: [string, RequestInit, number, string][] = [
      ["/v1/retrieve", withKey(null, { body: { query: "x" } }), 401, "no API key"],
      ["/v1/retrieve", withKey("not-a-real-key-000000", { body: { query: "x" } }), 401, "not recognised"],
      ["/v1/retrieve", { method: "POST", headers: { authorization: "Basic abc" }, body: "{}" }, 401, "Bearer"],
      ["/v1/releases/r001/activate", withKey(READ_KEY, { method: "POST" }), 403, "admin key"],
      ["/v1/releases/rollback", withKey(READ_KEY, { method: "POST" }), 403, "admin key"],
      [trpcQuery("retrieve", { query: "x" }), withKey(null), 401, "no API key"],
      [trpcQuery("retrieve", { query: "x" }), withKey(READ_KEY + "x"), 401, "not recognised"],
      ["/trpc/releases.activate", withKey(READ_KEY, { body: { release: "r001" } }), 403, "admin key"],
    ];
    for (const [path, init, status, words] of cases) {
      const r = await app.request(path, init);
      expect(r.status, path).toBe(status);
      const { error } = await json(r);
      const code = status === 401 ? "UNAUTHORIZED" : "FORBIDDEN";
      if (path.startsWith("/trpc")) expect(error.data.code).toBe(code);
      else expect(error.code).toBe(code);
      expect(error.message).toContain(words);
    }
    expect(service.calls.filter((c) => c.startsWith("activate"))).toEqual([]);
  });

  it("auth is checked before input: a bad body without a key is 401, not 400", async () => {
    const { app } = testApp();
    expect((await app.request("/v1/retrieve", withKey(null, { raw: "{" }))).status).toBe(401);
  });

  it("/healthz is public; /metrics needs a key unless publicMetrics", async () => {
    const { app } = testApp();
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/metrics")).status).toBe(401);
    expect((await app.request("/metrics", withKey(READ_KEY))).status).toBe(200);
    const open = testApp({ publicMetrics: true }).app;
    expect((await open.request("/metrics")).status).toBe(200);
  });
});

describe("rate limit", () => {
  it("429 with Retry-After after the burst, per key, refilling over time", async () => {
    let now = 0;
    const { app } = testApp({ rateLimit: { perSecond: 2, burst: 3 }, now: () => now });
    for (let i = 0; i < 3; i++) expect((await app.request("/v1/releases", withKey(READ_KEY))).status).toBe(200);
    const limited = await app.request("/v1/releases", withKey(READ_KEY));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await json(limited)).error).toMatchObject({ code: "RATE_LIMITED" });
    // tRPC shares the bucket.
    const t = await app.request(trpcQuery("releases.list"), withKey(READ_KEY));
    expect(t.status).toBe(429);
    expect(t.headers.get("retry-after")).toBe("1");
    expect((await json(t)).error.data).toMatchObject({ code: "RATE_LIMITED", retryAfter: 1 });
    // Another key has its own bucket; health is never limited.
    expect((await app.request("/v1/releases", withKey(ADMIN_KEY))).status).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
    now += 600;
    expect((await app.request("/v1/releases", withKey(READ_KEY))).status).toBe(200);
  });
});

describe("errors", () => {
  it("validation errors name the field", async () => {
    const { app } = testApp();
    const k0 = await json(await app.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "red", k: 0 } })));
    expect(k0.error).toMatchObject({ code: "INVALID_INPUT", message: "k: k must be ≥ 1", issues: [{ field: "k", message: "k must be ≥ 1" }] });
    const f = await app.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "red", filters: { op: "eq", field: "colour", value: "red" } } }));
    expect(f.status).toBe(400);
    const fe = (await json(f)).error;
    expect(fe.code).toBe("INVALID_FILTER");
    expect(fe.message).toContain('unknown filter field "colour"');
    const ids = await json(await app.request("/v1/items:get", withKey(READ_KEY, { body: { ids: [] } })));
    expect(ids.error.message).toBe("ids: ids is empty; ask for at least one id");
    const rel = await json(await app.request("/v1/releases/latest/activate", withKey(ADMIN_KEY, { method: "POST" })));
    expect(rel.error.message).toBe("release: release must look like r001");
    const q = await json(await app.request("/v1/lookup", withKey(READ_KEY)));
    expect(q.error.message).toBe("query: query is missing");
  });

  it("malformed or empty JSON body → 400 INVALID_JSON saying so", async () => {
    const { app } = testApp();
    const r = await app.request("/v1/retrieve", withKey(READ_KEY, { raw: '{"query": "red",' }));
    expect(r.status).toBe(400);
    const { error } = await json(r);
    expect(error.code).toBe("INVALID_JSON");
    expect(error.message).toMatch(/^request body is not JSON/);
    const empty = await json(await app.request("/v1/retrieve", withKey(READ_KEY, { raw: "" })));
    expect(empty.error.message).toMatch(/request body is empty/);
    const t = await app.request("/trpc/releases.activate", withKey(ADMIN_KEY, { raw: "{nope" }));
    expect(t.status).toBe(400);
    expect((await json(t)).error.data.code).toBe("INVALID_JSON");
  });

  it("unknown route → 404 in the error shape", async () => {
    const { app } = testApp();
    const r = await app.request("/v2/retrieve", withKey(READ_KEY, { body: {} }));
    expect(r.status).toBe(404);
    expect((await json(r)).error).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("/v1/openapi.json") });
  });

  it("service errors map to their statuses", async () => {
    const cases: [ServiceError, number][] = [
      [new ServiceError("NO_RELEASE", "no release is active; run vitrine publish"), 503],
      [new ServiceError("RELEASE_NOT_FOUND", "release r009 does not exist"), 404],
      [new ServiceError("BAD_REQUEST", "k is larger than the list"), 400],
      [new ServiceError("UNAVAILABLE", "store is reloading"), 503],
    ];
    for (const [err, status] of cases) {
      const service = { ...memoryService(), retrieve: async () => Promise.reject(err) };
      const app = createApp({ service, keys: KEYS });
      const r = await app.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "red" } }));
      expect(r.status).toBe(status);
      expect((await json(r)).error).toMatchObject({ code: err.code, message: err.message });
      const t = await app.request(trpcQuery("retrieve", { query: "red" }), withKey(READ_KEY));
      expect(t.status).toBe(status);
      expect((await json(t)).error.data).toMatchObject({ code: err.code, httpStatus: status });
    }
  });

  it("a plain Error from the service → 500 with a generic message, logged, nothing leaked", async () => {
    const logged: Json[] = [];
    const logger: AppLogger = { info() {}, warn() {}, error: (f) => void logged.push(f) };
    const secret = new Error("ECONNREFUSED /var/lib/vitrine/secret.lance password=hunter2");
    const service = { ...memoryService(), retrieve: async () => Promise.reject(secret), lookup: async () => Promise.reject(secret) };
    const app = createApp({ service, keys: KEYS, logger });
    for (const [path, init] of [
      ["/v1/retrieve", withKey(READ_KEY, { body: { query: "red" } })],
      [trpcQuery("lookup", { query: "red" }), withKey(READ_KEY)],
    ] as const) {
      const r = await app.request(path, init);
      expect(r.status).toBe(500);
      const text = await r.text();
      expect(text).not.toMatch(/ECONNREFUSED|secret|hunter2|stack|\.ts:\d/);
      const body = JSON.parse(text) as Json;
      const err = path.startsWith("/trpc") ? body.error.data : body.error;
      expect(err.code).toBe("INTERNAL");
      expect(err.requestId).toBe(r.headers.get("x-request-id"));
    }
    expect(logged.map((l) => l.err)).toEqual([secret, secret]);
  });

  it("bodies over maxBodyBytes → 413", async () => {
    const { app } = testApp({ maxBodyBytes: 2048 });
    const r = await app.request("/v1/retrieve", withKey(READ_KEY, { body: { query: "x".repeat(4000) } }));
    expect(r.status).toBe(413);
    expect((await json(r)).error.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("observability", () => {
  it("one log line and one metrics sample per request, with bounded route labels", async () => {
    const lines: Json[] = [];
    const samples: RequestSample[] = [];
    const logger: AppLogger = { info: (f) => void lines.push(f), warn() {}, error() {} };
    const metrics: MetricsRecorder = { observe: (s) => void samples.push(s), render: () => ({ contentType: "text/plain", body: "x 1\n" }) };
    const { app } = testApp({ logger, metrics });
    await app.request("/v1/releases/r001/activate", withKey(ADMIN_KEY, { method: "POST" }));
    await app.request(trpcQuery("lookup", { query: "a" }), withKey(READ_KEY));
    await app.request("/trpc/whatever-" + "x".repeat(50), withKey(READ_KEY));
    await app.request("/random/" + Math.random(), withKey(READ_KEY));
    // Without a key, an unknown route is refused before routing: nothing about the routes leaks.
    await app.request("/random/" + Math.random());
    expect(samples.map((s) => [s.route, s.status])).toEqual([
      ["/v1/releases/:release/activate", 200],
      ["/trpc/lookup", 200],
      ["/trpc/unknown", 404],
      ["unmatched", 404],
      ["unmatched", 401],
    ]);
    expect(lines[0]).toMatchObject({ method: "POST", path: "/v1/releases/r001/activate", status: 200, keyId: "admin" });
    expect(typeof lines[0]!.ms).toBe("number");
    expect(lines[0]!.requestId).toBeTruthy();
    expect(await (await app.request("/metrics", withKey(READ_KEY))).text()).toBe("x 1\n");
  });
});

describe("OpenAPI", () => {
  it("documents every /v1 route the app serves, with request schemas from zod", async () => {
    const { app } = testApp();
    const doc = await json(await app.request("/v1/openapi.json"));
    expect(doc.openapi).toBe("3.1.0");
    const served = new Set(app.routes.filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/\/:(\w+)/g, "/{$1}")}`));
    const documented = new Set(Object.entries(doc.paths as Json).flatMap(([p, ops]) => Object.keys(ops as Json).map((m) => `${m} ${p}`)));
    for (const s of served) expect(documented, s).toContain(s);
    expect([...served].length).toBeGreaterThanOrEqual(8);
    const body = doc.paths["/v1/retrieve"].post.requestBody.content["application/json"].schema.$ref as string;
    const schema = doc.components.schemas[body.split("/").pop()!];
    expect(schema.required).toEqual(["query"]);
    expect(doc.components.schemas.FilterExpr.oneOf.length).toBe(6);
    expect(doc.paths["/v1/releases/{release}/activate"].post.responses).toHaveProperty("403");
    // Every $ref resolves.
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas).toHaveProperty(ref[1]!);
  });
});
