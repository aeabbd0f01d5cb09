// The qid response cache's own rules: bounded by bytes, keyed by release + image base + body, cleared
// when the release it follows changes, and answers spliced around the request's own timings.
import { describe, expect, it } from "vitest";
import { createResponseCache, joinAnswer, splitAnswer, type CachedAnswer } from "./response-cache.ts";

const answer = (release: string, n = 1): CachedAnswer => ({
  ...splitAnswer({ items: Array.from({ length: n }, (_, i) => ({ id: `it${i}`, title: "x".repeat(100) })), release, timings: { qid: 0.1, total: 0.2 } }),
  cost: 1,
  call: { items: n, release, fields: { query: "q" } },
});
const text = (a: Pick<CachedAnswer, "head" | "tail">, timings: Record<string, number>) => new TextDecoder().decode(joinAnswer(a, timings));

describe("response cache", () => {
  it("splices each request's timings into the stored JSON, which parses to the answer", () => {
    const a = answer("r001", 2);
    const body = JSON.parse(text(a, { cache: 0.01, total: 0.01 })) as { release: string; items: unknown[]; timings: unknown };
    expect(body.release).toBe("r001");
    expect(body.items).toHaveLength(2);
    expect(body.timings).toEqual({ cache: 0.01, total: 0.01 });
    expect(JSON.parse(text(splitAnswer({ timings: { total: 1 } }), { total: 2 }))).toEqual({ timings: { total: 2 } });
  });

  it("keys by release, image base and the exact body text", () => {
    const c = createResponseCache({ maxBytes: 1 << 20 })!;
    const a = answer("r001");
    c.set("r001", "http://a", '{"query":"red dress","k":10}', a);
    expect(c.get("r001", "http://a", '{"query":"red dress","k":10}')).toBe(a);
    expect(c.get("r002", "http://a", '{"query":"red dress","k":10}')).toBeUndefined();
    expect(c.get("r001", "http://b", '{"query":"red dress","k":10}')).toBeUndefined();
    expect(c.get("r001", "http://a", '{"query":"red dress","k":11}')).toBeUndefined();
  });

  it("holds at most maxBytes, dropping the least recently used", () => {
    const one = answer("r001", 20);
    const size = one.head.byteLength + one.tail.byteLength;
    const c = createResponseCache({ maxBytes: size * 10 })!;
    for (let i = 0; i < 50; i++) c.set("r001", "b", `{"query":"q${i}"}`, answer("r001", 20));
    const { entries, bytes } = c.stats();
    expect(bytes).toBeLessThanOrEqual(size * 10);
    expect(entries).toBeGreaterThan(3);
    expect(entries).toBeLessThan(10);
    expect(c.get("r001", "b", '{"query":"q49"}')).toBeDefined();
    expect(c.get("r001", "b", '{"query":"q0"}')).toBeUndefined();
  });

  it("drops every entry when the release it follows changes, and never caches over-long bodies", () => {
    const c = createResponseCache({ maxBytes: 1 << 20, maxBodyChars: 64 })!;
    c.follow("r001");
    c.set("r001", "b", "{}", answer("r001"));
    c.follow("r001");
    expect(c.stats().entries).toBe(1);
    c.follow("r002");
    expect(c.stats().entries).toBe(0);
    c.set("r002", "b", `{"query":"${"x".repeat(80)}"}`, answer("r002"));
    expect(c.stats().entries).toBe(0);
  });

  it("is off at 0 bytes", () => {
    expect(createResponseCache({ maxBytes: 0 })).toBeNull();
  });
});
