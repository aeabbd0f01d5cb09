import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SPECIAL_PIECES, SPECIAL_TOKENS, Tokenizer, TokenizerError } from "../../encoders/index.ts";
import { TrainError } from "../errors.ts";
import { trainTokenizer } from "./index.ts";

const TITLES = [
  "Red Floral Summer Dress for Women",
  "Blue Denim Jacket Men Casual",
  "Red Leather Handbag Classic",
  "Women Midi Dress Polka Dots",
  "Nike Running Shoes Black",
  "红色连衣裙 夏季 女装",
  "碎花连衣裙 女 夏季",
  "白色运动鞋 男",
  "黑色运动鞋 女 跑步",
  "连衣裙 长款 雪纺",
];
const QUERIES = ["red dress", "dress red", "denim jacket", "running shoes", "连衣裙", "红色连衣裙", "运动鞋 男", "handbag red"];
// Repeat so every word is frequent.
const CORPUS = Array.from({ length: 5 }, () => [...TITLES, ...QUERIES]).flat();

describe("trainTokenizer", () => {
  it("is deterministic: the same corpus gives identical JSON twice (and in any input order)", () => {
    const a = JSON.stringify(trainTokenizer(CORPUS, { vocabSize: 300 }));
    const b = JSON.stringify(trainTokenizer(CORPUS, { vocabSize: 300 }));
    const c = JSON.stringify(trainTokenizer([...CORPUS].reverse(), { vocabSize: 300 }));
    expect(a).toBe(b);
    expect(a).toBe(c);
  });

  it("puts the special tokens at fixed ids", () => {
    const t = trainTokenizer(CORPUS);
    expect(SPECIAL_PIECES.map((p) => t.tokenToId(p))).toEqual([0, 1, 2, 3, 4]);
    expect(t.idToToken(SPECIAL_TOKENS.MASK)).toBe("[MASK]");
  });

  it("keeps frequent CJK words and latin words as whole pieces", () => {
    const t = trainTokenizer(CORPUS);
    expect(t.tokenize("红色连衣裙")).toEqual(["红色", "连衣裙"]);
    expect(t.tokenize("运动鞋")).toEqual(["运动鞋"]);
    expect(t.tokenize("Red Dress")).toEqual(["dress", "red"]);
  });

  it("splits unseen words into known subword pieces and only unknown characters into [UNK]", () => {
    const t = trainTokenizer(CORPUS);
    const pieces = t.tokenize("dresses");
    expect(pieces[0]).toBe("dress");
    expect(pieces.slice(1).every((p) => p.startsWith("##"))).toBe(true);
    expect(t.tokenize("dress q")).toEqual(["dress", "[UNK]"]); // q never occurs in the corpus
    expect(t.encode("dress 你", 4)).toEqual(Int32Array.from([t.tokenToId("dress")!, SPECIAL_TOKENS.UNK, 0, 0]));
  });

  it("encodes frequent titles without [UNK]", () => {
    const t = trainTokenizer(CORPUS);
    for (const title of TITLES) expect([...t.encode(title, 32)]).not.toContain(SPECIAL_TOKENS.UNK);
  });

  it("respects vocabSize and minFreq", () => {
    for (const vocabSize of [20, 60, 120, 4000]) {
      const t = trainTokenizer(CORPUS, { vocabSize });
      expect(t.vocabSize).toBeLessThanOrEqual(vocabSize);
      expect(t.toJSON().vocab).toHaveLength(t.vocabSize);
    }
    // Only b is seen twice: a, c, d are unknown, and no pair is frequent enough to merge.
    const once = trainTokenizer(["abc", "bd"], { minFreq: 2 });
    expect(once.toJSON().vocab.slice(5)).toEqual(["b", "##b"]);
    expect(once.tokenize("abd")).toEqual(["[UNK]", "##b", "[UNK]"]);
    expect(() => trainTokenizer(CORPUS, { vocabSize: 5 })).toThrow(TrainError);
  });

  it("sortTerms makes word order irrelevant, and can be switched off", () => {
    const t = trainTokenizer(CORPUS);
    expect(t.encode("dress red", 8)).toEqual(t.encode("red dress", 8));
    expect(t.encode("red  DRESS!", 8)).toEqual(t.encode("Dress, red", 8));
    const u = trainTokenizer(CORPUS, { sortTerms: false });
    expect(u.encode("dress red", 8)).not.toEqual(u.encode("red dress", 8));
  });

  it("pads with 0, truncates, and encodeBatch is the rows of encode", () => {
    const t = trainTokenizer(CORPUS);
    const long = t.encode(TITLES[0]!, 64);
    const n = long.findIndex((x) => x === 0);
    expect(n).toBeGreaterThan(3);
    expect(long.subarray(n).every((x) => x === 0)).toBe(true);
    expect(t.encode(TITLES[0]!, 3)).toEqual(long.subarray(0, 3));
    const batch = t.encodeBatch([TITLES[0]!, "", TITLES[5]!], 16);
    expect(batch).toHaveLength(48);
    expect(batch.subarray(0, 16)).toEqual(t.encode(TITLES[0]!, 16));
    expect(batch.subarray(16, 32).every((x) => x === 0)).toBe(true);
    expect(batch.subarray(32, 48)).toEqual(t.encode(TITLES[5]!, 16));
    expect(() => t.encode("x", 0)).toThrow(TokenizerError);
  });

  it("round-trips through JSON with identical encodings", () => {
    const t = trainTokenizer(CORPUS, { vocabSize: 200 });
    const text = JSON.stringify(t);
    const u = Tokenizer.fromJSON(text);
    expect(JSON.stringify(u)).toBe(text);
    expect(Tokenizer.fromJSON(t.toJSON()).toJSON()).toEqual(t.toJSON());
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom(...TITLES, ...QUERIES), (s, title) => {
        const x = `${title} ${s}`;
        expect(u.encode(x, 24)).toEqual(t.encode(x, 24));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects malformed saved tokenizers with BAD_CHECKPOINT", () => {
    const good = trainTokenizer(CORPUS).toJSON();
    const cases: unknown[] = ["{nope", { ...good, format: "v0" }, { ...good, vocab: ["a", ...good.vocab] }, { ...good, vocab: [...good.vocab, "red"] }];
    for (const c of cases) {
      const err = (() => {
        try {
          Tokenizer.fromJSON(c as string);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(TokenizerError);
      expect((err as TokenizerError).code).toBe("BAD_CHECKPOINT");
    }
  });

  it("never throws and stays in range on arbitrary text", () => {
    const t = trainTokenizer(CORPUS, { vocabSize: 150 });
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (s) => {
        const ids = t.encode(s, 16);
        expect(ids.every((x) => x >= 0 && x < t.vocabSize)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
