import { describe, expect, it } from "vitest";
import { rewriteJson } from "./json-rewrite.ts";

const upper = (s: string) => (s.startsWith("x") ? s.toUpperCase() : s);

describe("rewriteJson", () => {
  it("copies only the path to what changed and keeps the rest by identity", () => {
    const kept = { a: "plain", n: 1, list: [1, 2] };
    const changed = { b: "xyz" };
    const value = { kept, changed, arr: [kept, "xa"] };
    const out = rewriteJson(value, { string: upper, maxDepth: 8 });
    expect(out).toEqual({ kept, changed: { b: "XYZ" }, arr: [kept, "XA"] });
    expect(out).not.toBe(value);
    expect(out.kept).toBe(kept);
    expect(out.arr[0]).toBe(kept);
    expect(value.changed.b).toBe("xyz");
  });

  it("returns an answer with nothing to rewrite as the same object", () => {
    const value = { a: [{ b: "plain" }], c: null, d: true };
    expect(rewriteJson(value, { string: upper, maxDepth: 8 })).toBe(value);
  });

  it("leaves strings alone without a string rewrite, and lets a field rewrite replace a subtree", () => {
    const items = [{ id: "x1" }];
    const value = { s: "xkeep", items, nested: { items: [{ id: "x2" }] } };
    const out = rewriteJson(value, { field: (k, x) => (k === "items" && Array.isArray(x) ? x.map(() => "swapped") : undefined), maxDepth: 8 });
    expect(out).toEqual({ s: "xkeep", items: ["swapped"], nested: { items: ["swapped"] } });
  });

  it("keeps a __proto__ key an own key and walks null-prototype objects", () => {
    const value = JSON.parse('{"__proto__": {"p": "xp"}, "q": "xq"}') as Record<string, unknown>;
    const out = rewriteJson(value, { string: upper, maxDepth: 8 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(out.__proto__).toEqual({ p: "XP" });
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { r: "xr" });
    const outBare = rewriteJson(bare, { string: upper, maxDepth: 8 });
    expect(Object.getPrototypeOf(outBare)).toBe(null);
    expect(outBare.r).toBe("XR");
  });

  it("stops at maxDepth and keeps class instances as they are", () => {
    const deep = { l1: { l2: { l3: "xdeep" } }, top: "xtop" };
    const out = rewriteJson(deep, { string: upper, maxDepth: 1 });
    expect(out.top).toBe("XTOP");
    expect(out.l1.l2).toBe(deep.l1.l2);
    const date = new Date(0);
    const withDate = { when: date, s: "xs" };
    expect(rewriteJson(withDate, { string: upper, maxDepth: 8 }).when).toBe(date);
  });
});
