// retrieve's pages, cursors and result window, facets and similar, over REST and tRPC alike (the
// in-memory service: these are the HTTP layer's rules; test/search-api.test.ts runs them on a real
// release), and the query log line and search metrics each answered search leaves.
import { describe, expect, it } from "vitest";
import { cursorBinding, decodeCursor, encodeCursor } from "./cursor.ts";
import { ADMIN_KEY, READ_KEY, testApp, trpcQuery, withKey } from "./test-support/fixtures.ts";
import type { AppLogger, MetricsRecorder, SearchSample } from "./telemetry.ts";

type Json = Record<string, any>;
const json = async (r: Response) => (await r.json()) as Json;
const rest = (app: ReturnType<typeof testApp>["app"], body: unknown, key = READ_KEY) => app.request("/v1/retrieve", withKey(key, { body }));
const trpc = async (app: ReturnType<typeof testApp>["app"], path: string, input: unknown) => {
  const r = await app.request(trpcQuery(path, input), withKey(READ_KEY));
  const body = await json(r);
  return { status: r.status, data: body.result?.data as Json, error: body.error?.data as Json };
};

describe("retrieve: pages and cursors", () => {
  it("offset pages are slices of one ranking, and nextCursor walks the same pages (REST and tRPC)", async () => {
    const { app } = testApp();
    // "red dress shoes" matches all four items in the memory service's ranking.
    const whole = await json(await rest(app, { query: "red dress shoes", k: 4 }));
    expect(whole.items).toHaveLength(4);
    const ids = whole.items.map((i: Json) => i.id);
    const p1 = await json(await rest(app, { query: "red dress shoes", k: 2 }));
    const p2 = await json(await rest(app, { query: "red dress shoes", k: 2, offset: 2 }));
    expect([...p1.items, ...p2.items].map((i: Json) => i.id)).toEqual(ids);
    expect([p1.offset, p2.offset]).toEqual([0, 2]);
    // The cursor of page 1 gives page 2, over tRPC too.
    expect(typeof p1.nextCursor).toBe("string");
    const c2 = await trpc(app, "retrieve", { query: "red dress shoes", k: 2, cursor: p1.nextCursor });
    expect(c2.data.items.map((i: Json) => i.id)).toEqual(ids.slice(2));
    expect(c2.data.offset).toBe(2);
    // Past the end: an empty page, no cursor.
    const c3 = await json(await rest(app, { query: "red dress shoes", k: 2, cursor: c2.data.nextCursor }));
    expect(c3.items).toEqual([]);
    expect(c3.more).toBe(false);
    expect(c3.nextCursor).toBeUndefined();
  });

  it("a cursor sent with another query, other filters or another release is refused, naming the field", async () => {
    const { app } = testApp();
    const p1 = await json(await rest(app, { query: "red dress shoes", k: 1 }));
    const cursor = p1.nextCursor as string;
    expect(decodeCursor(cursor)).toEqual({ release: "r002", offset: 1, binding: cursorBinding({ query: "red dress shoes", filters: undefined, understand: true, relax: true }) });
    for (const body of [
      { query: "blue dress", k: 1, cursor },
      { query: "red dress shoes", k: 1, cursor, filters: { brand: "Acme" } },
      { query: "red dress shoes", k: 1, cursor, understand: false },
    ]) {
      const r = await rest(app, body);
      expect(r.status).toBe(400);
      const e = (await json(r)).error;
      expect(e).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "cursor" }] });
      expect(e.message).toMatch(/another ranking/);
    }
    const other = await rest(app, { query: "red dress shoes", k: 1, cursor, release: "r001" });
    expect((await json(other)).error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/walks release r002, the request asks for r001/) });
    // k may change between pages; the cursor pins its release even when the request leaves it out.
    const ok = await json(await rest(app, { query: "red dress shoes", k: 3, cursor }));
    expect(ok).toMatchObject({ offset: 1, release: "r002" });
    expect(ok.items).toHaveLength(3);
    // Garbage, and offset with a cursor.
    for (const [body, field] of [
      [{ query: "x", cursor: "v1.bm90IGpzb24" }, "cursor"],
      [{ query: "x", cursor: "hello" }, "cursor"],
      [{ query: "red dress shoes", cursor, offset: 1 }, "offset"],
    ] as const) {
      const r = await rest(app, body);
      expect(r.status).toBe(400);
      expect((await json(r)).error.issues[0].field).toBe(field);
    }
    // A cursor of a retrieve on another release, pinned there.
    const pinned = encodeCursor({ release: "r001", offset: 1, binding: cursorBinding({ query: "red dress shoes", filters: undefined, understand: true, relax: true }) });
    expect((await json(await rest(app, { query: "red dress shoes", k: 1, cursor: pinned }))).release).toBe("r001");
  });

  it("offset + k past the result window is a 400 naming the limit; the last page inside it has no cursor", async () => {
    const { app } = testApp({ maxWindow: 3 });
    const r = await rest(app, { query: "red dress shoes", k: 2, offset: 2 });
    expect(r.status).toBe(400);
    expect((await json(r)).error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "offset" }], message: expect.stringMatching(/result window of 3 items \(maxWindow\); ask for k ≤ 1 here/) });
    const t = await trpc(app, "retrieve", { query: "red dress shoes", k: 4 });
    expect(t.status).toBe(400);
    expect(t.error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "k" }] });
    const last = await json(await rest(app, { query: "red dress shoes", k: 1, offset: 2 }));
    expect(last.more).toBe(true);
    expect(last.nextCursor).toBeUndefined();
    const doc = await json(await app.request("/v1/openapi.json"));
    expect(doc.info.description).toMatch(/result window of 3 items/);
  });

  it("unknown fields are refused by name, page with a pointer to offset and cursor (REST and tRPC)", async () => {
    const { app } = testApp();
    const r = await rest(app, { query: "red dress", page: 2 });
    expect(r.status).toBe(400);
    const e = (await json(r)).error;
    expect(e.issues).toEqual([{ field: "page", message: expect.stringMatching(/unknown field "page"; there is no page field: ask for offset = \(page − 1\) × k/) }]);
    const t = await trpc(app, "retrieve", { query: "red dress", limit: 5, ofset: 3 });
    expect(t.status).toBe(400);
    expect(t.error.issues.map((i: Json) => i.field)).toEqual(["limit", "ofset"]);
    expect(t.error.issues[0].message).toMatch(/retrieve takes query, k, offset, cursor/);
    const s = await app.request("/v1/similar", withKey(READ_KEY, { body: { id: "i1", top: 3 } }));
    expect((await json(s)).error.issues).toEqual([{ field: "top", message: expect.stringMatching(/similar takes id, k, filters, release/) }]);
  });
});

describe("facets and similar", () => {
  it("facets: brand, category and price buckets over the candidate window, the same on every page", async () => {
    const { app } = testApp();
    const body = { query: "red dress shoes", k: 1, facets: ["brand", "category", "price"] };
    const a = await json(await rest(app, body));
    const b = await json(await rest(app, { ...body, offset: 2 }));
    expect(a.facets).toEqual(b.facets);
    expect(a.facets.counted).toBe(4);
    expect(a.facets.brand.values).toEqual([
      { value: "Acme", count: 2 },
      { value: "Zoom", count: 2 },
    ]);
    expect(a.facets.price.buckets.reduce((s: number, x: Json) => s + x.count, 0)).toBe(4);
    expect((await json(await rest(app, { query: "red dress" }))).facets).toBeUndefined();
    const bad = await rest(app, { query: "red dress", facets: ["colour"] });
    expect((await json(bad)).error.issues[0]).toMatchObject({ field: "facets.0", message: expect.stringMatching(/facets are brand, category, price/) });
  });

  it("similar over REST and tRPC; an unknown item is 404 ITEM_NOT_FOUND; filters apply", async () => {
    const { app } = testApp();
    const r = await json(await app.request("/v1/similar", withKey(READ_KEY, { body: { id: "i1", k: 2 } })));
    expect(r.items.map((i: Json) => i.id)).toEqual(["i2", "i3"]);
    expect(r).toMatchObject({ id: "i1", release: "r002", filters: null });
    const t = await trpc(app, "similar", { id: "i1", k: 3, filters: { brand: "Zoom" } });
    expect(t.data.items.map((i: Json) => i.id)).toEqual(["i3", "i4"]);
    const missing = await app.request("/v1/similar", withKey(READ_KEY, { body: { id: "nope" } }));
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: "ITEM_NOT_FOUND", message: expect.stringContaining('"nope"') });
    expect((await trpc(app, "similar", { id: "nope" })).error).toMatchObject({ code: "ITEM_NOT_FOUND", httpStatus: 404 });
  });
});

describe("search analytics", () => {
  it("one query log line and one metrics sample per answered search (path, count, latency, release, via), no key material", async () => {
    const lines: Json[] = [];
    const samples: SearchSample[] = [];
    const logger: AppLogger = { info: (f, msg) => void lines.push({ ...f, msg }), warn() {}, error() {} };
    const metrics: MetricsRecorder = { observe() {}, observeSearch: (s) => void samples.push(s), render: () => ({ contentType: "text/plain", body: "" }) };
    const { app } = testApp({ logger, metrics });
    await rest(app, { query: "red dress", k: 5, filters: { brand: "Acme" } });
    await app.request("/v1/retrieve", withKey(ADMIN_KEY, { body: { query: "purple hat" }, headers: { "x-vitrine-via": "edge" } }));
    await trpc(app, "similar", { id: "i1" });
    await rest(app, { query: "" }); // invalid: no search ran, no line
    const queries = lines.filter((l) => l.msg === "query");
    expect(queries).toEqual([
      expect.objectContaining({ event: "query", op: "retrieve", query: "red dress", k: 5, offset: 0, filtered: true, path: "ann", count: 2, release: "r002", via: "direct", keyId: "reader" }),
      expect.objectContaining({ op: "retrieve", query: "purple hat", count: 0, via: "edge", keyId: "admin" }),
      expect.objectContaining({ op: "similar", id: "i1", path: "similar", count: 3, release: "r002" }),
    ]);
    expect(queries.every((l) => typeof l.ms === "number" && typeof l.requestId === "string")).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(READ_KEY);
    expect(JSON.stringify(lines)).not.toContain(ADMIN_KEY);
    expect(samples.map((s) => [s.op, s.path, s.via, s.items])).toEqual([
      ["retrieve", "ann", "direct", 2],
      ["retrieve", "ann", "edge", 0],
      ["similar", "similar", "direct", 3],
    ]);
  });

  it("a tRPC batch over 16 calls is refused naming the limit", async () => {
    const { app } = testApp();
    const r = await app.request(`/trpc/${Array(17).fill("retrieve").join(",")}?batch=1`, withKey(READ_KEY, { body: {} }));
    expect(r.status).toBe(400);
    expect((await json(r)).error.data).toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/at most 16 calls, this one 17/) });
  });
});
