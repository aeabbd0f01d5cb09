// Property test: hostile request bodies never produce a 5xx or a crash, and every 4xx has the
// one error shape (REST: { error: { code, message, requestId } }; tRPC: error.data.code + message).
// The mix includes cost bombs — past each limit by one or by thousands: filter nodes, values and
// depth, nesting, JSON values, k, string lengths — whose 400 must name that limit, and filters on
// attribute keys named like Object.prototype properties: those the schema refuses are 400s naming
// the field, and every filter the server accepts is checked afterwards to select the same rows as
// SQL in LanceDB, as the JS predicate and as a column bitmap (core/test-filter-agreement.ts).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS, type FilterExpr } from "../../core/index.ts";
import { filterExpr, openAgreementTable, PROTOTYPE_KEYS, type AgreementTable } from "../../core/test-filter-agreement.ts";
import { MAX_INPUT_DEPTH, MAX_JSON_VALUES } from "./input-guard.ts";
import { ADMIN_KEY, READ_KEY, testApp } from "./test-support/fixtures.ts";

const RUNS = 10_000;

const hostileKeys = [
  "query",
  "k",
  "filters",
  "release",
  "understand",
  "ids",
  "op",
  "field",
  "value",
  "values",
  "filter",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "brand",
  "price",
  "attributes",
];

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "\uD800",
    "\uDFFF",
    "a\uD800b",
    "\u0000",
    "\uFEFF",
    "連衣裙 红色",
    "../../etc/passwd",
    "'; DROP TABLE items; --",
    "r001",
    "r",
    "brand",
    "attributes.color",
    "attributes.__proto__",
    "price",
    "NaN",
    "1e309",
  ),
  fc.integer({ min: 1, max: 5 }).map((n) => "x".repeat(n * 200_000)),
);

const deep = fc
  .integer({ min: 50, max: 20_000 })
  .chain((n) =>
    fc.constantFrom(
      "[".repeat(n) + "]".repeat(n),
      '{"a":'.repeat(n) + "1" + "}".repeat(n),
      `{"query":"red","filters":${'{"op":"not","filter":'.repeat(n)}${LEAF}${"}".repeat(n)}}`,
      `{"query":"red","filters":${'{"op":"and","filters":['.repeat(n)}${LEAF}${"]}".repeat(n)}}`,
    ),
  );
// Built as text: JSON.stringify itself overflows the stack on such depths.
const LEAF = '{"op":"eq","field":"brand","value":"Acme"}';

const leaf = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString, fc.double(), fc.integer(), fc.constantFrom(0, -1, 1001, 1.5, 2 ** 53, null, true, [], {}));
const hostileObject = fc.dictionary(fc.oneof(fc.constantFrom(...hostileKeys), fc.string({ maxLength: 8 })), fc.oneof(leaf, fc.dictionary(fc.constantFrom(...hostileKeys), leaf, { maxKeys: 4 })), {
  maxKeys: 6,
});

/** A body as the property sees it: its text, and for cost bombs the limit its 400 must name. */
type Body = String & { limit?: RegExp };
// Counterexamples can be megabytes: report a prefix.
const boxed = (text: string, limit?: RegExp): Body =>
  Object.assign(new String(text), limit ? { limit } : {}, {
    [fc.toStringMethod]: () => JSON.stringify(text.slice(0, 300)) + (text.length > 300 ? `… (${text.length} chars)` : "") + (limit ? ` expecting ${limit}` : ""),
  });

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
// `n` eq leaves under ors of at most 60 (no and/or takes more than 64).
const orOfEqs = (n: number) => ({
  op: "or",
  filters: range(Math.ceil(n / 60), (g) => ({ op: "or", filters: range(Math.min(60, n - g * 60), (i) => ({ op: "eq", field: "brand", value: `b${g}-${i}` })) })),
});
const notChain = (depth: number) => `${'{"op":"not","filter":'.repeat(depth - 1)}${LEAF}${"}".repeat(depth - 1)}`;

/** Cost bombs: each past one limit only (the others kept), so its 400 must name that one. */
const costBomb: fc.Arbitrary<Body> = fc.oneof(
  fc.integer({ min: LIMITS.filterNodes + 1, max: 1_500 }).map((n) => boxed(JSON.stringify({ query: "red dress", filters: orOfEqs(n) }), /at most 128 nodes in all/)),
  fc
    .integer({ min: LIMITS.filterValues + 1, max: 6_000 })
    .map((n) => boxed(JSON.stringify({ query: "red dress", filters: { op: "in", field: "brand", values: range(n, (i) => `b${i}`) } }), /at most 1000 values in all/)),
  fc
    .integer({ min: MAX_JSON_VALUES + 1, max: 40_000 })
    .map((n) => boxed(JSON.stringify({ query: "red", filters: { op: "in", field: "price", values: range(n, (i) => i) } }), /more than 8192 JSON values/)),
  // The filter's own depth (≤ 64 levels of JSON), then the input nesting guard past it.
  fc.integer({ min: LIMITS.filterDepth + 1, max: MAX_INPUT_DEPTH - 2 }).map((d) => boxed(`{"query":"red","filters":${notChain(d)}}`, /nest at most 8 levels deep/)),
  // Two JSON values a level: past 4,096 levels the value count refuses it first.
  fc.integer({ min: MAX_INPUT_DEPTH + 1, max: 4_000 }).map((d) => boxed(`{"query":"red","filters":${notChain(d)}}`, /nests deeper than 64 levels/)),
  fc.oneof(fc.integer({ min: LIMITS.maxK + 1, max: 2 ** 31 }), fc.constant(Number.MAX_SAFE_INTEGER)).map((k) => boxed(JSON.stringify({ query: "red dress", k }), /k must be ≤ 1000/)),
  fc.integer({ min: LIMITS.queryLength + 1, max: 300_000 }).map((n) => boxed(JSON.stringify({ query: "q".repeat(n) }), /query is longer than 500 characters/)),
  fc
    .integer({ min: LIMITS.attributeValueLength + 1, max: 50_000 })
    .map((n) => boxed(JSON.stringify({ query: "red", filters: { op: "eq", field: "attributes.color", value: "v".repeat(n) } }), /filter values are at most 500 characters/)),
  // Attribute keys the schema refuses (not lower-case letters, digits and _), prototype names among them.
  fc
    .constantFrom("__proto__", "hasOwnProperty", "toString", "valueOf", "__defineGetter__", "isPrototypeOf", "constructor.prototype", "Constructor")
    .map((key) => boxed(JSON.stringify({ query: "red", filters: { op: "not", filter: { op: "eq", field: `attributes.${key}`, value: "a" } } }), /unknown filter field/)),
);

/** Valid filters over hostile values and attribute keys named like Object.prototype properties (the agreement table's). */
const acceptedFilter: fc.Arbitrary<Body> = fc
  .tuple(filterExpr, fc.integer({ min: 1, max: LIMITS.maxK }), fc.constantFrom(...PROTOTYPE_KEYS))
  .map(([f, k, key]) => boxed(JSON.stringify({ query: "red dress", k, filters: { op: "or", filters: [f, { op: "eq", field: `attributes.${key}`, value: "x" }] } })));

/** A request body as text: JSON of something hostile, or not JSON at all. */
const body = fc
  .oneof(
    { weight: 4, arbitrary: hostileObject.map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "{", "null", "[]", '{"query":', '{"__proto__":{"admin":true},"query":"x"}', '{"constructor":{"prototype":{"k":0}},"query":"x"}', "\u0000", "{}".repeat(1000)),
    },
    { weight: 1, arbitrary: deep },
  )
  .map((text) => boxed(text));

/** Where to send it. */
const target = fc.constantFrom(
  { kind: "rest", method: "POST", path: "/v1/retrieve", key: READ_KEY },
  { kind: "rest", method: "POST", path: "/v1/items:get", key: READ_KEY },
  { kind: "rest", method: "GET", path: "/v1/lookup", key: READ_KEY },
  { kind: "rest", method: "GET", path: "/v1/items", key: READ_KEY },
  { kind: "rest", method: "POST", path: "/v1/releases/{x}/activate", key: ADMIN_KEY },
  { kind: "trpc-get", method: "GET", path: "/trpc/retrieve", key: READ_KEY },
  { kind: "trpc-post", method: "POST", path: "/trpc/retrieve", key: READ_KEY },
  { kind: "trpc-post", method: "POST", path: "/trpc/items.get", key: READ_KEY },
  { kind: "trpc-post", method: "POST", path: "/trpc/releases.activate", key: ADMIN_KEY },
  { kind: "trpc-batch", method: "GET", path: "/trpc/retrieve,lookup", key: READ_KEY },
  { kind: "trpc-post", method: "POST", path: "/trpc/lookup", key: null },
);

type Target = { kind: string; method: string; path: string; key: string | null };

/** Retrieve as REST and tRPC take it from a body: where cost bombs and accepted filters go. */
const retrieveTarget = fc.constantFrom<Target>({ kind: "rest", method: "POST", path: "/v1/retrieve", key: READ_KEY }, { kind: "trpc-post", method: "POST", path: "/trpc/retrieve", key: READ_KEY });

/** The mix: hostile bodies to every target, cost bombs and valid hostile-named filters to retrieve. */
const request = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(target, body) },
  { weight: 1, arbitrary: fc.tuple(retrieveTarget, costBomb) },
  { weight: 1, arbitrary: fc.tuple(retrieveTarget, acceptedFilter) },
);

function toRequest(t: Target, text: string): [string, RequestInit] {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (t.key) headers.authorization = `Bearer ${t.key}`;
  // Query strings get a bounded slice: real servers cap URL length (Node: 16 KiB of headers).
  // Lone surrogates cannot be percent-encoded as UTF-8; every 7th request also carries broken
  // percent-escapes, which the server must decode without crashing.
  const enc = (v: string) => encodeURIComponent(v.toWellFormed()) + (text.length % 7 === 0 ? "%E0%A4%A%ZZ%" : "");
  const q = enc(text.slice(0, 4_000));
  switch (t.kind) {
    case "trpc-get":
      return [`${t.path}?input=${q}`, { headers }];
    case "trpc-batch":
      return [`${t.path}?batch=1&input=${enc(`{"0":${text.slice(0, 2_000)},"1":${text.slice(0, 2_000)}}`)}`, { headers }];
    default:
      if (t.path === "/v1/lookup") return [`${t.path}?query=${q}&release=${q}`, { headers }];
      if (t.path === "/v1/items") return [`${t.path}?ids=${q}`, { headers }];
      if (t.path.includes("{x}")) return [t.path.replace("{x}", enc(text.slice(0, 300)) || "x"), { method: "POST", headers }];
      return [t.path, { method: t.method, headers, body: text }];
  }
}

function checkErrorShape(t: Target, status: number, parsed: any): void {
  if (t.kind.startsWith("trpc")) {
    const errors = Array.isArray(parsed) ? parsed.map((p) => p.error).filter(Boolean) : [parsed.error];
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(typeof e.message).toBe("string");
      expect(e.message.length).toBeGreaterThan(0);
      expect(typeof e.data.code).toBe("string");
      expect(typeof e.data.requestId).toBe("string");
      expect(e.data.httpStatus).toBeGreaterThanOrEqual(400);
      expect(e.data.httpStatus).toBeLessThan(500);
      expect(e.data).not.toHaveProperty("stack");
    }
  } else {
    expect(Object.keys(parsed)).toEqual(["error"]);
    expect(typeof parsed.error.code).toBe("string");
    expect(typeof parsed.error.message).toBe("string");
    expect(parsed.error.message.length).toBeGreaterThan(0);
    expect(parsed.error.requestId).toBeTruthy();
    if (status === 400 && parsed.error.issues) for (const i of parsed.error.issues) expect(typeof i.field).toBe("string");
  }
}

let table: AgreementTable;
beforeAll(async () => {
  table = await openAgreementTable();
});
afterAll(() => table.close());

describe("hostile requests", () => {
  it(`${RUNS} random bodies to REST and tRPC, cost bombs among them: no 5xx, every 4xx in the error shape, every bomb a 400 naming its limit; accepted filters agree in SQL, JS and bitmaps`, async () => {
    const { app } = testApp({ maxBodyBytes: 1 << 20 });
    const statuses = new Map<number, number>();
    const accepted = new Map<string, FilterExpr>();
    let bombs = 0;
    await fc.assert(
      fc.asyncProperty(request, async ([t, b]) => {
        const text = String(b);
        const [path, init] = toRequest(t, text);
        const res = await app.request(path, init);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const raw = await res.text();
        expect(res.status, `${t.method} ${path.slice(0, 80)} body ${text.slice(0, 120)} → ${raw.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) checkErrorShape(t, res.status, JSON.parse(raw));
        expect(raw).not.toMatch(/"stack"|\bat [\w.<>]+ \(.*:\d+:\d+\)/);
        if (b.limit) {
          bombs++;
          expect(res.status, `${t.kind} ${text.slice(0, 120)} → ${raw.slice(0, 300)}`).toBe(400);
          // REST and tRPC alike: error.message.
          expect(JSON.parse(raw).error.message).toMatch(b.limit);
        }
        // The filter as the server parsed it (constraints.fromCaller), for the agreement check below.
        if (res.status === 200 && path.endsWith("/retrieve")) {
          const parsed = JSON.parse(raw);
          const f = (t.kind === "rest" ? parsed : parsed.result?.data)?.constraints?.fromCaller as FilterExpr | null | undefined;
          if (f) accepted.set(JSON.stringify(f), f);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20260401) },
    );
    // The mix must exercise success, rejection and the bombs.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 4);
    expect(bombs).toBeGreaterThan(RUNS / 20);
    // The prototype of plain objects is untouched.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).k).toBeUndefined();
    // Every filter the server accepted selects the same rows as SQL (LanceDB), the JS predicate and
    // the column bitmap, on rows built to break them (at most 400 of them: LanceDB queries cost ms).
    expect(accepted.size).toBeGreaterThan(100);
    for (const f of [...accepted.values()].slice(0, 400)) {
      const js = table.jsIds(f);
      expect(await table.sqlIds(f), JSON.stringify(f)).toEqual(js);
      expect(table.bitmapIds(f), JSON.stringify(f)).toEqual(js);
    }
  }, 180_000);
});
