// Property test: hostile request bodies never produce a 5xx or a crash, and every 4xx has the
// one error shape (REST: { error: { code, message, requestId } }; tRPC: error.data.code + message).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
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
  // Counterexamples can be megabytes: report a prefix.
  .map((text) => Object.assign(new String(text), { [fc.toStringMethod]: () => JSON.stringify(text.slice(0, 300)) + (text.length > 300 ? `… (${text.length} chars)` : "") }));

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

describe("hostile requests", () => {
  it(`${RUNS} random bodies to REST and tRPC: no 5xx, every 4xx in the error shape`, async () => {
    const { app } = testApp({ maxBodyBytes: 1 << 20 });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(target, body, async (t, boxed) => {
        const text = String(boxed);
        const [path, init] = toRequest(t, text);
        const res = await app.request(path, init);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const raw = await res.text();
        expect(res.status, `${t.method} ${path.slice(0, 80)} body ${text.slice(0, 120)} → ${raw.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) checkErrorShape(t, res.status, JSON.parse(raw));
        expect(raw).not.toMatch(/"stack"|\bat [\w.<>]+ \(.*:\d+:\d+\)/);
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20260401) },
    );
    // The mix must exercise both success and rejection.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 4);
    // The prototype of plain objects is untouched.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).k).toBeUndefined();
  }, 120_000);
});
