import { describe, expect, it } from "vitest";
import { buildLexicon, understandQuery } from "./lexicon.ts";

const lex = buildLexicon(["Nike", "North Peak", "山田", "ＡＣＭＥ", "Adidas"], ["Shoes>Sneakers", "Women>Dresses", "Girls>Dresses", "Accessories>Bags", "Men>T-Shirts", "女装>连衣裙"]);

describe("query understanding", () => {
  it("turns brand and category terms into hard constraints (seed 001 §3.2)", () => {
    const r = understandQuery(lex, "Nike sneakers");
    expect(r.constraints).toEqual([
      { field: "brand", value: "Nike", term: "nike" },
      { field: "category", value: "Shoes>Sneakers", term: "sneakers" },
    ]);
    expect(r.filter).toEqual({
      op: "and",
      filters: [
        { op: "eq", field: "brand", value: "Nike" },
        { op: "eq", field: "category", value: "Shoes>Sneakers" },
      ],
    });
  });

  it("matches multi-word brands, folds width and case, plural and singular", () => {
    expect(understandQuery(lex, "north peak red dress").constraints.map((c) => c.value)).toEqual(["North Peak", "Girls>Dresses", "Women>Dresses"]);
    expect(understandQuery(lex, "acme bag").constraints.map((c) => c.value)).toEqual(["ＡＣＭＥ", "Accessories>Bags"]);
    expect(understandQuery(lex, "t-shirt").constraints.map((c) => c.value)).toEqual(["Men>T-Shirts"]);
  });

  it("matches names in any word order, as the qid does: a query's canonical terms are understood as the query", () => {
    for (const q of ["t-shirt", "shirt t", "T Shirt"]) expect(understandQuery(lex, q).filter).toEqual({ op: "eq", field: "category", value: "Men>T-Shirts" });
    expect(understandQuery(lex, "peak north dresses").constraints.map((c) => [c.value, c.term])).toEqual([
      ["North Peak", "peak north"],
      ["Girls>Dresses", "dresses"],
      ["Women>Dresses", "dresses"],
    ]);
    // Constraints follow the query's order of first terms, so the filter reads as typed.
    expect(understandQuery(lex, "sneakers nike").constraints.map((c) => c.field)).toEqual(["category", "brand"]);
  });

  it("prefers the longest name and uses each query term once", () => {
    const l = buildLexicon(["Peak", "North Peak"], ["Men>Shirts", "Men>T-Shirts"]);
    expect(understandQuery(l, "north peak").constraints.map((c) => c.value)).toEqual(["North Peak"]);
    expect(understandQuery(l, "peak north peak").constraints.map((c) => c.value)).toEqual(["North Peak", "Peak"]);
    expect(understandQuery(l, "shirt t").constraints.map((c) => c.value)).toEqual(["Men>T-Shirts"]);
    expect(understandQuery(l, "t-shirt shirt").constraints.map((c) => c.value)).toEqual(["Men>T-Shirts", "Men>Shirts"]);
  });

  it("ORs several values of one field and matches CJK names", () => {
    expect(understandQuery(lex, "dresses").filter).toEqual({ op: "in", field: "category", values: ["Girls>Dresses", "Women>Dresses"] });
    expect(understandQuery(lex, "nike adidas").filter).toEqual({ op: "in", field: "brand", values: ["Adidas", "Nike"] });
    expect(understandQuery(lex, "山田连衣裙").constraints.map((c) => c.value)).toEqual(["山田", "女装>连衣裙"]);
  });

  it("leaves queries without lexicon terms unconstrained and does not match inside words", () => {
    expect(understandQuery(lex, "red floral summer").filter).toBeNull();
    expect(understandQuery(lex, "north face").filter).toBeNull();
    expect(understandQuery(lex, "nikes").constraints).toEqual([{ field: "brand", value: "Nike", term: "nikes" }]);
  });
});
