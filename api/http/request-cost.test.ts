// Per-key limits charge by cost (issue 13): a plain call takes one token, a costly one more, once
// its input is valid and before any work; Retry-After counts the whole call. In process with a
// clock; the same over real sockets is api/node/serve-node.test.ts.
import { describe, expect, it } from "vitest";
import { FilterSchema, LIMITS } from "../../core/index.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { filterSize, RETRIEVE_COST, retrieveCost } from "./request-cost.ts";
import { READ_KEY, testApp, withKey } from "./test-support/fixtures.ts";

/** The largest filter the budget accepts: 128 nodes, 1,000 values (an or of two ors of 125 in-lists of 8). */
function largestFilter(): unknown {
  const leaves = Array.from({ length: 125 }, (_, l) => ({ op: "in", field: "brand", values: Array.from({ length: 8 }, (_, v) => `b${l}-${v}`) }));
  return {
    op: "or",
    filters: [
      { op: "or", filters: leaves.slice(0, 63) },
      { op: "or", filters: leaves.slice(63) },
    ],
  };
}

describe("the cost of a call", () => {
  it("a plain retrieve costs 1; k, filter nodes and values past their free share add; the costliest valid one costs 5", () => {
    expect(retrieveCost({ k: 50 })).toBe(1);
    expect(retrieveCost({ k: RETRIEVE_COST.freeK, filters: FilterSchema.parse({ brand: ["a", "b"], price: { lte: 50 } }) })).toBe(1);
    expect(retrieveCost({ k: LIMITS.maxK })).toBe(3);
    const largest = FilterSchema.parse(largestFilter());
    expect(filterSize(largest)).toEqual({ nodes: LIMITS.filterNodes, values: LIMITS.filterValues });
    expect(retrieveCost({ k: 50, filters: largest })).toBe(3);
    expect(retrieveCost({ k: LIMITS.maxK, filters: largest })).toBe(5);
  });

  it("charge: taken after the gate's token, never refused; the bucket may go below zero and the gate waits it out", () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 10 }, () => now);
    expect(limiter.take("k").ok).toBe(true); // the gate's token: 9 left
    limiter.charge("k", 7); // 2 left
    expect(limiter.take("k").ok).toBe(true); // 1 left
    limiter.charge("k", 7); // -6
    // The next call needs one token: 3.5 s at 2/s, said as 4.
    expect(limiter.take("k")).toEqual({ ok: false, retryAfter: 4 });
    now += 3_000;
    expect(limiter.take("k").ok).toBe(false);
    now += 600;
    expect(limiter.take("k").ok).toBe(true);
    // The debt is bounded by the burst.
    limiter.charge("k", 1_000);
    expect(limiter.take("k")).toEqual({ ok: false, retryAfter: 6 });
  });

  it("costly retrieves drain a key's bucket by their cost, REST and tRPC alike, before any work; Retry-After is right; plain ones keep their allowance", async () => {
    let now = 0;
    const { app, service } = testApp({ rateLimit: { perSecond: 10, burst: 20 }, now: () => now });
    const costly = { query: "red dress", k: LIMITS.maxK, filters: largestFilter() };
    const rest = (body: unknown) => app.request("/v1/retrieve", withKey(READ_KEY, { body }));
    const trpc = (body: unknown) => app.request("/trpc/retrieve", withKey(READ_KEY, { body }));
    // 18 tokens, 5 a call, let in while the bucket holds one: 18 → 13 → 8 → 3 → -2.
    for (let i = 0; i < 2; i++) expect((await app.request("/v1/releases", withKey(READ_KEY))).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await (i % 2 ? trpc : rest)(costly)).status).toBe(200);
    const calls = service.calls.length;
    const refused = await rest(costly);
    expect(refused.status).toBe(429);
    expect(service.calls.length).toBe(calls);
    // One token is 3 tokens away: 0.3 s at 10/s, said as 1.
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    const t = await trpc({ query: "red dress" });
    expect(t.status).toBe(429);
    expect(((await t.json()) as { error: { data: { retryAfter: number } } }).error.data.retryAfter).toBe(1);
    // After Retry-After a call passes (-4 after it); plain calls then pass one token each: 20 of them after 2.4 s.
    now += 300;
    expect((await rest(costly)).status).toBe(200);
    now += 2_400;
    for (let i = 0; i < 20; i++) expect((await (i % 2 ? trpc : rest)({ query: "red dress" })).status).toBe(200);
    expect((await rest({ query: "red dress" })).status).toBe(429);
    // An invalid input is refused for what it is (400), charged its gate token only.
    now += 10_000;
    expect((await rest({ query: "red dress", k: LIMITS.maxK + 1 })).status).toBe(400);
    expect((await rest({ query: "red dress", k: LIMITS.maxK + 1, filters: largestFilter() })).status).toBe(400);
    for (let i = 0; i < 18; i++) expect((await rest({ query: "red dress" })).status).toBe(200);
  });
});
