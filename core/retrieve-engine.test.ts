import { describe, expect, it } from "vitest";
import { fitBlend, pickBlendWeight, precomputeQidLists, PRIOR_CENTER } from "./blend-fit.ts";
import { filterToPredicate } from "./filter-predicate.ts";
import { mulberry32 } from "./rng.ts";
import { queryId } from "./qid.ts";
import { liveSearch, runRetrieve, type QidList } from "./retrieve-engine.ts";
import { buildSearchIndex, qidListsFromMap, type ItemColumns } from "./search-index.ts";
import { exactTopK } from "./top-k.ts";

// A small shop: 2 brands × 2 categories × 10 items. Vectors are 2-d unit vectors at an angle that
// grows with the row, so the vector order of a query is known; titles say what lexical finds.
const BRANDS = ["Acme", "Zed"];
const CATS = ["Women>Dresses", "Accessories>Hats"];
function shop(): { cols: ItemColumns; vectors: Float32Array } {
  const titles: string[] = [];
  const brands: string[] = [];
  const categories: string[] = [];
  const prices: number[] = [];
  for (const b of BRANDS)
    for (const c of CATS)
      for (let v = 0; v < 10; v++) {
        titles.push(`${b} ${c.endsWith("Dresses") ? "dress" : "hat"} ${v === 3 ? "floral" : "plain"} ${v}`);
        brands.push(b);
        categories.push(c);
        prices.push(10 + v);
      }
  const n = titles.length;
  const vectors = new Float32Array(n * 2);
  for (let r = 0; r < n; r++) {
    const a = (r / n) * Math.PI * 0.9;
    vectors[2 * r] = Math.cos(a);
    vectors[2 * r + 1] = Math.sin(a);
  }
  return { cols: { titles, brands, categories, prices, attributeColumns: new Map() }, vectors };
}
const Q = Float32Array.from([1, 0]); // prefers low rows
const encode = async () => Q;

describe("the retrieve engine", () => {
  it("with vector weight 1 ranks exactly as the exact top-K, and says the vector channel answered", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2, blend: { method: "convex", weight: 1 } });
    const r = await runRetrieve(idx, { query: "plain", k: 10, understand: false }, { encode, exactLimit: 1e6 });
    expect(r.hits.map((h) => h.row)).toEqual(exactTopK(vectors, 2, Q, 10, null, 40).map((h) => h.row));
    expect(r.path).toBe("ann");
    expect(r.channels).toEqual(["lexical", "vector"]);
  });

  it("with vector weight 0 puts the lexical channel's matches first", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2, blend: { method: "convex", weight: 0 } });
    const r = await runRetrieve(idx, { query: "floral", k: 6, understand: false }, { encode, exactLimit: 1e6 });
    // The four "floral" items (row 3 of each brand × category block) lead, then vector order.
    expect(r.hits.slice(0, 4).map((h) => cols.titles[h.row]!.includes("floral"))).toEqual([true, true, true, true]);
    expect(r.hits.slice(0, 4).every((h) => h.lexical !== null && h.lexical > 0)).toBe(true);
    expect(r.hits.slice(4).map((h) => h.row)).toEqual([0, 1]);
  });

  it("applies constraints to both channels, and relaxes category before brand, never the caller's filter", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2, blend: { method: "convex", weight: 0.5 } });
    // "zed dress" → brand = Zed AND category = Women>Dresses: 10 items; k = 25 needs relaxing.
    const r = await runRetrieve(idx, { query: "zed dress", k: 25 }, { encode, exactLimit: 1e6 });
    expect(r.constraints.fromQuery.map((c) => c.field).sort()).toEqual(["brand", "category"]);
    const strict = r.hits.filter((h) => !h.relaxed);
    expect(strict).toHaveLength(10);
    expect(strict.every((h) => cols.brands[h.row] === "Zed" && cols.categories[h.row] === "Women>Dresses")).toBe(true);
    // Category relaxed: the other 10 Zed items; still short of 25, so brand goes too.
    expect(r.constraints.relaxed.map((c) => c.field)).toEqual(["category", "brand"]);
    expect(r.hits.slice(10, 20).every((h) => h.relaxed && cols.brands[h.row] === "Zed")).toBe(true);
    expect(r.hits).toHaveLength(25);
    expect(new Set(r.hits.map((h) => h.row)).size).toBe(25);

    // A caller filter stays hard through relaxation.
    const price = { op: "range" as const, field: "price" as const, lte: 12 };
    const c = await runRetrieve(idx, { query: "zed dress", k: 25, filters: price }, { encode, exactLimit: 1e6 });
    const pred = filterToPredicate(price);
    expect(c.hits.every((h) => pred(idx.item(h.row)))).toBe(true);
    expect(c.hits.length).toBe(12); // 3 prices ≤ 12 × 4 blocks
    const off = await runRetrieve(idx, { query: "zed dress", k: 25, relax: false }, { encode, exactLimit: 1e6 });
    expect(off.hits).toHaveLength(10);
    expect(off.constraints.relaxed).toEqual([]);
  });

  it("answers from a qid list filtered by the constraints, then tops up from the live search", async () => {
    const { cols, vectors } = shop();
    const { qid, terms } = queryId("acme hat");
    const list: QidList = { terms, rows: Uint32Array.from([39, 15, 12, 0]), scores: Float32Array.from([0.9, 0.8, 0.7, 0.6]) };
    const idx = buildSearchIndex(cols, { vectors, dim: 2, qidList: qidListsFromMap(new Map([[terms, list]])) });
    expect(idx.qidList(qid, terms)).toBe(list);
    const r = await runRetrieve(idx, { query: "hat acme", k: 4 }, { encode, exactLimit: 1e6 });
    // Rows 10..19 are Acme hats: 15 and 12 pass the constraints, 39 (Zed) and 0 (dress) do not.
    expect(r.hits.slice(0, 2).map((h) => [h.row, h.source])).toEqual([
      [15, "qid"],
      [12, "qid"],
    ]);
    expect(r.hits.slice(2).every((h) => h.source === "ann" && h.row >= 10 && h.row < 20)).toBe(true);
    expect(r.path).toBe("qid+ann");
    const full = await runRetrieve(
      idx,
      { query: "acme hat", k: 2 },
      {
        encode: async () => {
          throw new Error("no encode on a full qid hit");
        },
        exactLimit: 1e6,
      },
    );
    expect(full.path).toBe("qid");
    expect(full.channels).toEqual([]);
  });
});

describe("fitBlend", () => {
  it("picks a lexical-heavy blend where titles hold the answer and a vector-heavy one where vectors do", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2 });
    // Clicks on the floral items: lexical finds them, the vector (preferring low rows) does not.
    const floral = new Set([3, 13, 23, 33]);
    const tuning = Array.from({ length: 12 }, () => ({ terms: "floral", targets: floral }));
    const lex = await fitBlend(idx, tuning, { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6 });
    expect(lex.queries).toBe(12);
    expect(lex.grid).toHaveLength(11);
    expect(lex.blend.weight).toBeLessThanOrEqual(0.5);
    // Clicks on rows 0 and 1 for a word every item has: only the vector tells them apart.
    const first = Array.from({ length: 12 }, () => ({ terms: "plain", targets: new Set([0, 1]) }));
    const vec = await fitBlend(idx, first, { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6 });
    expect(vec.blend.weight).toBeGreaterThanOrEqual(0.5);
    // Too few queries: the default blend, and it says why.
    const few = await fitBlend(idx, first.slice(0, 3), { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6 });
    expect(few).toMatchObject({ blend: { weight: 0.5 }, grid: [], reason: expect.stringMatching(/3 tuning queries/) });
  });
});

describe("fitBlend's seen rows", () => {
  it("scores each tuning ranking without the rows its query was clicked on in training, as the unseen-pair slice does", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2 });
    const opts = { encode: async (ts: readonly string[]) => ts.map(() => Q), exactLimit: 1e6 };
    // Vectors alone rank rows 0, 1, 2, … for this query; the held-out click is on row 2.
    const tuning = (seen?: Set<number>) => Array.from({ length: 12 }, () => ({ terms: "plain", targets: new Set([2]), ...(seen ? { seen } : {}) }));
    const at1 = (f: Awaited<ReturnType<typeof fitBlend>>) => f.grid.find((g) => g.weight === 1)!.ndcg10;
    expect(at1(await fitBlend(idx, tuning(), opts))).toBeCloseTo(0.5, 12); // third: 1 / log2(4)
    expect(at1(await fitBlend(idx, tuning(new Set([0, 1])), opts))).toBeCloseTo(1, 12); // rows 0 and 1 were clicked in training: first
    // A held-out target its query was clicked on in training (a split other than by pair) cannot be
    // found once its row leaves the ranking: it leaves the targets, and a query left with none goes.
    const allSeen = await fitBlend(idx, tuning(new Set([2])), opts);
    expect(allSeen).toMatchObject({ queries: 0, grid: [], reason: expect.stringMatching(/^0 tuning queries/) });
    const mixed = Array.from({ length: 12 }, () => ({ terms: "plain", targets: new Set([2, 3]), seen: new Set([0, 1, 3]) }));
    expect(at1(await fitBlend(idx, mixed, opts))).toBeCloseTo(1, 12);
  });
});

describe("fitBlend's popularity prior", () => {
  // Rows 30 and 31 are the shop's bestsellers; the query vector prefers low rows, and "plain" is in
  // every title but the floral ones, so neither channel puts them near the top.
  const popular = () => {
    const p = new Float32Array(40);
    p[30] = 1;
    p[31] = 0.8;
    return p;
  };
  const fit = (idx: ReturnType<typeof buildSearchIndex>, targets: Set<number>) =>
    fitBlend(
      idx,
      Array.from({ length: 12 }, () => ({ terms: "plain", targets })),
      { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6, prior: true },
    );

  it("turns the prior on where the held-out clicks go to popular items, and leaves it off where they do not", async () => {
    const { cols, vectors } = shop();
    const idx = buildSearchIndex(cols, { vectors, dim: 2, popularity: popular() });
    const hot = await fit(idx, new Set([30, 31]));
    expect(hot.priorGrid!.map((g) => g.prior)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(hot.blend.prior).toBeGreaterThan(0);
    expect(hot.priorGrid!.find((g) => g.prior === hot.blend.prior)!.ndcg10).toBeGreaterThan(hot.priorGrid![0]!.ndcg10);
    // Served with the fitted blend, the bestsellers lead the live search.
    idx.blend = hot.blend;
    const r = await runRetrieve(idx, { query: "plain", k: 2, understand: false }, { encode, exactLimit: 1e6 });
    expect(r.hits.map((h) => h.row)).toEqual([30, 31]);
    expect(r.blend.prior).toBe(hot.blend.prior);
    // Clicks on what the vector prefers: from some weight on the prior only costs, so the fit keeps
    // the weight nearest PRIOR_CENTER that costs nothing on the tuning queries, below the centre.
    const cold = await fit(idx, new Set([0, 1]));
    const sum = (g: { ndcg10: number; recall100: number }) => g.ndcg10 + g.recall100;
    const chosen = cold.blend.prior ?? 0;
    expect(chosen).toBeLessThan(PRIOR_CENTER);
    expect(sum(cold.priorGrid!.find((g) => g.prior === chosen)!)).toBeCloseTo(Math.max(...cold.priorGrid!.map(sum)), 12);
    expect(sum(cold.priorGrid!.find((g) => g.prior === PRIOR_CENTER)!)).toBeLessThan(sum(cold.priorGrid![0]!));
    // Where the prior changes no tuning ranking (every item as popular), the fit keeps PRIOR_CENTER.
    const flat = await fit(buildSearchIndex(cols, { vectors, dim: 2, popularity: new Float32Array(40).fill(0.5) }), new Set([0, 1]));
    expect(new Set(flat.priorGrid!.map(sum)).size).toBe(1);
    expect(flat.blend.prior).toBe(PRIOR_CENTER);
  });

  it("fits no prior on an index without popularity, nor when told not to", async () => {
    const { cols, vectors } = shop();
    const none = await fit(buildSearchIndex(cols, { vectors, dim: 2 }), new Set([30, 31]));
    expect(none.blend.prior).toBeUndefined();
    expect(none.priorGrid).toBeUndefined();
    const tuning = Array.from({ length: 12 }, () => ({ terms: "plain", targets: new Set([30, 31]) }));
    const idx = buildSearchIndex(cols, { vectors, dim: 2, popularity: popular() });
    const off = await fitBlend(idx, tuning, { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6, prior: false });
    expect(off.blend.prior).toBeUndefined();
    expect(off.priorGrid).toBeUndefined();
    expect(off.grid).toHaveLength(11);
    // Not told anything, the fit weighs the prior in (the default), here where it helps.
    const on = await fitBlend(idx, tuning, { encode: async (ts) => ts.map(() => Q), exactLimit: 1e6 });
    expect(on.priorGrid).toHaveLength(6);
    expect(on.blend.prior).toBeGreaterThan(0);
  });

  it("fits the prior alone on an index without a lexical channel", async () => {
    const { cols, vectors } = shop();
    const hot = await fit(buildSearchIndex(cols, { vectors, dim: 2, lexical: false, popularity: popular() }), new Set([30, 31]));
    expect(hot).toMatchObject({ blend: { weight: 1, prior: expect.any(Number) }, grid: [], reason: "no lexical channel: vectors alone; the prior fitted" });
    expect(hot.blend.prior).toBeGreaterThan(0);
  });
});

describe("fitBlend's one-standard-error rule (pickBlendWeight)", () => {
  const W = [0, 0.25, 0.5, 0.75, 1];
  it("takes the best weight when every query agrees it is better, however small the lead", () => {
    // Weight 1 beats 0.5 by 0.01 on every query: no spread, so the lead is real.
    const scores = W.map((w) => Array.from({ length: 20 }, () => 1 + 0.01 * w));
    expect(pickBlendWeight(scores, W, 0.5)).toEqual({ pick: 4, best: 4 });
  });
  it("keeps the even split when the best weight's lead is within its standard error", () => {
    // Weight 1 leads 0.5 on average (+0.05) but wins half the queries by 0.6 and loses the other half by 0.5.
    const scores = W.map((w) => Array.from({ length: 20 }, (_, q) => (w === 1 ? (q % 2 ? 1.6 : 0.5) : w === 0.5 ? 1 : 0.2)));
    expect(pickBlendWeight(scores, W, 0.5)).toEqual({ pick: 2, best: 4 });
  });
  it("moves toward the centre only as far as the evidence allows", () => {
    // 0 is clearly best; 0.25 is within noise of it, 0.5 is clearly worse: 0.25 is picked.
    const scores = W.map((w) => Array.from({ length: 20 }, (_, q) => (w === 0 ? 2 : w === 0.25 ? (q % 2 ? 2.1 : 1.85) : 1)));
    expect(pickBlendWeight(scores, W, 0.5)).toEqual({ pick: 1, best: 0 });
  });
});

describe("precomputeQidLists", () => {
  it("stores each query's list exactly as the live search ranks it, ties included, across chunks", async () => {
    // Vectors on a {−1, 0, 1} grid and titles from four words: vector and BM25 scores tie a lot.
    const r = mulberry32(5);
    const g = () => Math.floor(r() * 3) - 1;
    const WORDS = ["red", "dress", "wool", "coat"];
    const n = 400,
      dim = 3; // more rows than the live depth (200): the cut falls inside runs of tied scores
    const titles = Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => WORDS[Math.floor(r() * 4)]!).join(" "));
    const cols: ItemColumns = { titles, brands: titles.map(() => null), categories: titles.map(() => null), prices: titles.map(() => null), attributeColumns: new Map() };
    const vectors = Float32Array.from({ length: n * dim }, g);
    const queries = Array.from({ length: 300 }, (_, i) => ({ qid: i, terms: `${WORDS[i % 4]} ${WORDS[(i >> 2) % 4]}` }));
    const qv = queries.map(() => Float32Array.from({ length: dim }, g));
    for (const blend of [
      { method: "convex", weight: 0.5 },
      { method: "rrf", weight: 0.3 },
      { method: "convex", weight: 1 },
    ] as const) {
      const idx = buildSearchIndex(cols, { vectors, dim, blend });
      const lists = await precomputeQidLists(idx, queries, qv, 120, 1e6);
      expect(lists.map((l) => l.qid)).toEqual(queries.map((q) => q.qid));
      for (let i = 0; i < queries.length; i += 7) {
        const live = await liveSearch(idx, qv[i]!, queries[i]!.terms, null, 200, { exactLimit: 1e6 });
        const want = live.fused.slice(0, 120);
        expect(Array.from(lists[i]!.list.rows)).toEqual(want.map((f) => f.row));
        expect(Array.from(lists[i]!.list.scores)).toEqual(want.map((f) => Math.fround(f.score)));
        const served = await runRetrieve(idx, { query: queries[i]!.terms, k: 120, understand: false }, { encode: async () => qv[i]!, exactLimit: 1e6, useQidLists: false });
        expect(served.hits.map((h) => h.row)).toEqual(want.map((f) => f.row));
      }
    }
  });
});
