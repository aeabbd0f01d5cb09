import { describe, expect, it } from "vitest";
import { LexicalIndex, lexicalDocTerms, type LexicalDoc } from "./lexical-index.ts";
import { createRng } from "./rng.ts";

// N = 4, doc lengths 2, 3, 5, 2 → avgdl = 3; k1 = 1.2, b = 0.75.
const DOCS: LexicalDoc[] = [
  { title: "Red Dress" }, //                                             red dress
  { title: "Blue dresses", brand: "Acme" }, //                           blue dress acme
  { title: "red red shoes", category: "Shoes>Sneakers" }, //             red red shoe shoe sneaker
  { title: "hat", attributes: { colour: "green", size: null } }, //      hat green
];
const LN2 = Math.log(2); // idf of a term in 2 of 4 docs: ln(1 + 2.5/2.5)
const IDF1 = Math.log(1 + 3.5 / 1.5); // idf of a term in 1 of 4 docs = ln(10/3) ≈ 1.2039728

const rows = (hits: { row: number }[]) => hits.map((h) => h.row);

describe("LexicalIndex BM25", () => {
  const idx = LexicalIndex.build(DOCS);

  it("indexes title, brand, every category level and attribute values, folded", () => {
    expect(lexicalDocTerms(DOCS[2]!)).toEqual(["red", "red", "shoe", "shoe", "sneaker"]);
    expect(lexicalDocTerms(DOCS[3]!)).toEqual(["hat", "green"]);
    expect(idx.n).toBe(4);
    // red dress blue acme shoe sneaker hat green
    expect(idx.termCount()).toBe(8);
  });

  it("matches hand-computed Lucene BM25 scores", () => {
    const hits = idx.search("red dress", 10);
    // doc 0: 2 × ln2 × 1·2.2 / (1 + 1.2·(0.25 + 0.75·2/3)) = 2 × ln2 × 2.2/1.9 ≈ 1.6051829
    // doc 2: red tf 2, dl 5: ln2 × 2·2.2 / (2 + 1.2·(0.25 + 0.75·5/3)) = ln2 × 4.4/3.8 ≈ 0.8025915
    // doc 1: dress tf 1, dl 3: ln2 × 2.2 / (1 + 1.2) = ln2 ≈ 0.6931472
    expect(rows(hits)).toEqual([0, 2, 1]);
    expect(hits[0]!.score).toBeCloseTo(1.6051829444546, 12);
    expect(hits[1]!.score).toBeCloseTo(0.8025914722273, 12);
    expect(hits[2]!.score).toBeCloseTo(LN2, 12);
    expect(hits[2]!.score).toBeCloseTo(0.6931471805599, 12);
  });

  it("searches brand, category levels and attributes", () => {
    expect(idx.search("ACME", 5)).toEqual([{ row: 1, score: expect.closeTo(IDF1, 12) }]);
    // sneaker: tf 1 in a 5-term doc: IDF1 × 2.2 / (1 + 1.2·1.5) = IDF1 × 2.2/2.8 ≈ 0.9459786
    expect(idx.search("sneakers", 5)).toEqual([{ row: 2, score: expect.closeTo(0.9459786319704, 12) }]);
    expect(idx.search("green", 5)).toEqual([{ row: 3, score: expect.closeTo(1.39407377343, 12) }]);
    expect(idx.search("colour", 5)).toEqual([]); // attribute keys are not text
  });

  it("folds plurals on both sides", () => {
    expect(rows(idx.search("dresses", 5))).toEqual([0, 1]);
    expect(rows(idx.search("shoe", 5))).toEqual([2]);
    expect(idx.search("dress", 5)).toEqual(idx.search("DRESSES!", 5));
  });

  it("segments CJK titles with the dictionary", () => {
    const cjk = LexicalIndex.build([{ title: "红色连衣裙" }, { title: "蓝色衬衫" }, { title: "连衣裙 夏季" }]);
    expect(rows(cjk.search("连衣裙", 5))).toEqual([0, 2]);
    expect(rows(cjk.search("红色", 5))).toEqual([0]);
    expect(cjk.search("连", 5)).toEqual([]); // not a word of the segmentation
    // Fields never join into one word: 中 (title) + 国 (brand) is not 中国.
    const apart = LexicalIndex.build([{ title: "中", brand: "国" }, { title: "中国" }]);
    expect(lexicalDocTerms({ title: "中", brand: "国" })).toEqual(["中", "国"]);
    expect(rows(apart.search("中国", 5))).toEqual([1]);
    expect(rows(apart.search("国", 5))).toEqual([0]);
  });

  it("counts a repeated query term once and ignores unknown terms", () => {
    expect(idx.search("red red red", 5)).toEqual(idx.search("red", 5));
    expect(idx.search("red zebra", 5)).toEqual(idx.search("red", 5));
    expect(idx.search("dress dresses", 5)[0]!.score).toBeCloseTo(LN2 * (2.2 / 1.9), 12);
  });

  it("returns [] for an empty or unknown query, k ≤ 0 or no candidate rows", () => {
    expect(idx.search("", 5)).toEqual([]);
    expect(idx.search(" ?! ", 5)).toEqual([]);
    expect(idx.search("zebra", 5)).toEqual([]);
    expect(idx.search("red", 0)).toEqual([]);
    expect(idx.search("red", 5, { rows: new Uint32Array(0) })).toEqual([]);
    expect(LexicalIndex.build([]).search("red", 5)).toEqual([]);
  });

  it("returns fewer than k when fewer rows match, and truncates to k", () => {
    expect(idx.search("red", 100)).toHaveLength(2);
    expect(rows(idx.search("red dress", 2))).toEqual([0, 2]);
    expect(rows(idx.search("red dress", 1))).toEqual([0]);
  });

  it("breaks ties to the lower row, whatever order rows were touched in", () => {
    // "a" touches row 3 first, "b" then row 1: same df, tf and length, so equal scores.
    const t = LexicalIndex.build([{ title: "zz" }, { title: "b q" }, { title: "zz" }, { title: "a q" }]);
    const both = t.search("a b", 2);
    expect(rows(both)).toEqual([1, 3]);
    expect(both[0]!.score).toBe(both[1]!.score);
    expect(rows(t.search("a b", 1))).toEqual([1]);
    // Equal red scores in the main corpus (ln2 × 2.2/1.9 for docs 0 and 2) come out lower row first.
    const red = idx.search("red", 5);
    expect(red[0]!.score).toBe(red[1]!.score);
    expect(rows(red)).toEqual([0, 2]);
  });

  it("honours k1 and b", () => {
    const flat = LexicalIndex.build(DOCS, { k1: 1.2, b: 0 });
    // b = 0: length ignored; red tf 2 → ln2 × 4.4/3.2, tf 1 → ln2 × 2.2/2.2
    expect(flat.search("red", 5)).toEqual([
      { row: 2, score: expect.closeTo(LN2 * (4.4 / 3.2), 12) },
      { row: 0, score: expect.closeTo(LN2, 12) },
    ]);
    expect(() => LexicalIndex.build(DOCS, { b: 2 })).toThrow(/b must be in \[0, 1\]/);
    expect(() => LexicalIndex.build(DOCS, { k1: -1 })).toThrow(/k1/);
  });
});

// A random corpus against a brute-force BM25, and filtered searches against unfiltered ones.
describe("LexicalIndex on a random corpus", () => {
  const r = createRng(11);
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
  const docs: LexicalDoc[] = Array.from({ length: 3000 }, (_, i) => ({
    // "common" is in every doc so its postings are long enough for the galloping path.
    title: ["common", ...Array.from({ length: r.int(1, 6) }, () => words[Math.floor(words.length * r.next() ** 2)]!)].join(" "),
    brand: `b${i % 7}`,
  }));
  const idx = LexicalIndex.build(docs);

  // Straightforward BM25, same formula, for reference.
  function brute(query: string[]): Map<number, number> {
    const terms = docs.map(lexicalDocTerms);
    const avgdl = terms.reduce((s, t) => s + t.length, 0) / terms.length;
    const out = new Map<number, number>();
    for (const q of new Set(query)) {
      const df = terms.filter((t) => t.includes(q)).length;
      if (df === 0) continue;
      const idf = Math.log(1 + (terms.length - df + 0.5) / (df + 0.5));
      terms.forEach((t, row) => {
        const tf = t.filter((x) => x === q).length;
        if (tf > 0) out.set(row, (out.get(row) ?? 0) + (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * t.length) / avgdl)));
      });
    }
    return out;
  }

  it("agrees with a brute-force BM25", () => {
    for (const q of ["w0", "w1 w5", "common w3 w40", "w59 b3"]) {
      const ref = [...brute(q.split(" "))].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 50);
      const got = idx.search(q, 50);
      expect(got.map((h) => h.row)).toEqual(ref.map(([row]) => row));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(ref[i]![1], 9));
    }
  });

  it("buildAsync builds the same index, giving the event loop turns while it does", async () => {
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    // sliceMs 0: a turn after every slice of 256 docs (3,000 docs: 11 slices and the scatter).
    const async = await LexicalIndex.buildAsync(docs, {}, 0);
    ticking = false;
    expect(turns).toBeGreaterThanOrEqual(10);
    expect(async.termCount()).toBe(idx.termCount());
    for (const q of ["w0", "w1 w5", "common w3 w40", "w59 b3", "common"]) expect(async.search(q, idx.n)).toEqual(idx.search(q, idx.n));
  });

  it("restricts to rows and accept without changing scores (mask and galloping paths)", () => {
    const all = new Map(idx.search("common w2 w7", idx.n).map((h) => [h.row, h.score]));
    expect(all.size).toBe(idx.n);
    for (const every of [2, 17, 400]) {
      // every 2nd row → mask path; every 400th → 8 rows against 3000 postings → galloping
      const cand = Uint32Array.from({ length: Math.ceil(idx.n / every) }, (_, i) => i * every);
      const got = idx.search("common w2 w7", 30, { rows: cand });
      const want = [...cand]
        .map((row) => ({ row, score: all.get(row)! }))
        .sort((a, b) => b.score - a.score || a.row - b.row)
        .slice(0, 30);
      expect(got).toEqual(want); // exact equality: the same sums in the same order
    }
    const odd = idx.search("common w2 w7", 25, { accept: (row) => row % 2 === 1 });
    const wantOdd = [...all]
      .filter(([row]) => row % 2 === 1)
      .map(([row, score]) => ({ row, score }))
      .sort((a, b) => b.score - a.score || a.row - b.row)
      .slice(0, 25);
    expect(odd).toEqual(wantOdd);
    const w2 = idx.search("w2", idx.n);
    const cand = Uint32Array.from({ length: 300 }, (_, i) => i * 10);
    const both = idx.search("w2", 10, { rows: cand, accept: (row) => row % 20 === 0 });
    expect(both).toEqual(w2.filter((h) => h.row % 20 === 0).slice(0, 10));
    expect(both).toHaveLength(10);
  });

  it("skips rows that cannot reach the top k and still returns the exhaustive answer, bit for bit", () => {
    // Zipf-like words and varied lengths, so bounds differ and the pruned search skips most rows.
    const zr = createRng(5);
    const zipfDocs: LexicalDoc[] = Array.from({ length: 4000 }, () => ({
      title: Array.from({ length: zr.int(2, 12) }, () => `z${Math.floor(1 / (zr.next() + 0.004)) % 200}`).join(" "),
    }));
    const z = LexicalIndex.build(zipfDocs);
    let compared = 0;
    for (const q of ["z1", "z1 z2", "z1 z2 z3", "z3 z1 z40 z7", "z150 z1", "z1 z1 z9", "z2 z5 z9 z11 z0"]) {
      for (const k of [1, 5, 50, 200, 5000]) {
        const want = z.search(q, k, { exhaustive: true });
        expect(z.search(q, k)).toEqual(want); // exact: same rows, same order, same float scores
        const odd = (row: number) => row % 3 !== 0;
        expect(z.search(q, k, { accept: odd })).toEqual(z.search(q, k, { accept: odd, exhaustive: true }));
        compared += want.length;
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    // Without the length term (b = 0) or the tf saturation (k1 = 0) the length cut is off; still equal.
    for (const bm25 of [{ b: 0 }, { k1: 0 }, { k1: 2, b: 1 }]) {
      const other = LexicalIndex.build(zipfDocs, bm25);
      for (const q of ["z1 z2 z3", "z3 z1 z40 z7"]) expect(other.search(q, 50)).toEqual(other.search(q, 50, { exhaustive: true }));
    }
    // Ties at the k-th place: equal documents come out lowest row first either way.
    const same = LexicalIndex.build(Array.from({ length: 50 }, (_, i) => ({ title: i % 2 ? "x y" : "x y z" })));
    for (const k of [1, 3, 10]) expect(same.search("x y", k)).toEqual(same.search("x y", k, { exhaustive: true }));
    expect(rows(same.search("x y", 3))).toEqual([1, 3, 5]);
  });

  it("leaves no state behind between searches, even when accept throws", () => {
    const q = "common w1 w4";
    const before = idx.search(q, 20);
    const third = (o: number) => Uint32Array.from({ length: 999 }, (_, i) => 3 * i + o); // mask path
    expect(() =>
      idx.search(q, 20, {
        rows: third(0),
        accept: () => {
          throw new Error("boom");
        },
      }),
    ).toThrow("boom");
    expect(idx.search(q, 20)).toEqual(before); // accumulators reset
    const other = idx.search(q, 20, { rows: third(1) });
    expect(other).toHaveLength(20);
    expect(other.every((h) => h.row % 3 === 1)).toBe(true); // mask reset
  });
});
