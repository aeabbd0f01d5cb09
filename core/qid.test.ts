import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur3 } from "./murmur3.ts";
import { canonicalTerms, queryId } from "./qid.ts";
import { segment } from "./segment.ts";

describe("murmur3 x86_32", () => {
  it("matches the reference vectors", () => {
    expect(murmur3("", 0)).toBe(0);
    expect(murmur3("", 1)).toBe(0x514e28b7);
    expect(murmur3("", 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(new Uint8Array([0, 0, 0, 0]), 0)).toBe(0x2362f9de);
    expect(murmur3("hello", 0)).toBe(0x248bfa47);
    expect(murmur3("Hello, world!", 1234)).toBe(0xfaf6cdb3);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0)).toBe(0x2e4ff723);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0x9747b28c)).toBe(0x2fa826cd);
  });

  it("hashes UTF-8 bytes, not UTF-16 code units", () => {
    expect(murmur3("红色")).toBe(murmur3(new TextEncoder().encode("红色")));
  });
});

describe("qid", () => {
  it("is the same for any order of the same terms", () => {
    expect(queryId("red dress").qid).toBe(queryId("dress red").qid);
    expect(queryId("Red  DRESS!").terms).toBe("dress red");
    expect(queryId("红色连衣裙").terms).toBe(queryId("连衣裙 红色").terms);
  });

  it("is invariant under any permutation of a random term multiset (property)", () => {
    const term = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), fc.nat(), (terms, seed) => {
        const shuffled = [...terms];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const a = queryId(terms.join(" "));
        const b = queryId(shuffled.join("  "));
        expect(b.qid).toBe(a.qid);
        expect(b.terms).toBe(a.terms);
      }),
      { numRuns: 2000 },
    );
  });

  it("gives distinct term multisets distinct qids nearly always (1M random queries)", () => {
    // Birthday bound for n distinct keys in 2^32 buckets: expected colliding pairs ≈ n²/2^33.
    const seen = new Map<number, string>();
    const strings = new Set<string>();
    let collisions = 0;
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const alphabet = "abcdefghijklmnopqrstuvwxyz";
    for (let i = 0; i < 1_000_000; i++) {
      const n = 1 + Math.floor(rnd() * 4);
      const words: string[] = [];
      for (let t = 0; t < n; t++) {
        let w = "";
        const len = 3 + Math.floor(rnd() * 6);
        for (let c = 0; c < len; c++) w += alphabet[Math.floor(rnd() * 26)];
        words.push(w);
      }
      const { qid, terms } = queryId(words.join(" "));
      if (strings.has(terms)) continue;
      strings.add(terms);
      const prev = seen.get(qid);
      if (prev === undefined) seen.set(qid, terms);
      else collisions++;
    }
    const distinct = strings.size;
    const expected = (distinct * distinct) / 2 ** 33;
    expect(distinct).toBeGreaterThan(950_000);
    console.info(`qid collisions: ${collisions} among ${distinct} distinct term strings (expected ≈ ${expected.toFixed(0)})`);
    // ~116 expected for 1M keys; a broken hash (e.g. weak mixing) gives orders of magnitude more.
    expect(collisions).toBeLessThan(expected * 2);
    expect(collisions / distinct).toBeLessThan(3e-4);
  });

  it("canonical terms are stable under normalisation", () => {
    expect(canonicalTerms("  ＲＥＤ—dress  ")).toBe("dress red");
    expect(canonicalTerms("!!!")).toBe("");
  });
});

describe("segment", () => {
  it("splits CJK by dictionary words", () => {
    expect(segment("红色连衣裙")).toEqual(["红色", "连衣裙"]);
    expect(segment("耐克运动鞋")).toEqual(["耐克", "运动鞋"]);
  });

  it("splits mixed scripts at script boundaries", () => {
    expect(segment("Nike运动鞋 red")).toEqual(["nike", "运动鞋", "red"]);
    expect(segment("iphone15手机壳")).toEqual(["iphone15", "手机", "壳"]);
  });

  it("splits latin by words after normalisation", () => {
    expect(segment("T-Shirt, Women's  ＸＬ")).toEqual(["t", "shirt", "women", "s", "xl"]);
    expect(segment("")).toEqual([]);
  });
});
