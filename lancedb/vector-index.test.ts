import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, dot } from "../core/index.ts";
import { openRelease, publishRelease, searchItems } from "./index.ts";
import { planVectorIndex } from "./vector-index.ts";
import { importedShop, rng, type ShopItem } from "./test-fixtures.ts";

const DIM = 32;
let shop: Awaited<ReturnType<typeof importedShop>>;
let vectors: Map<string, Float32Array>;

/** Dense random unit vectors: ANN indexes are built for these, and ties are vanishingly rare. */
function randomUnit(r: () => number): Float32Array {
  const v = Float32Array.from({ length: DIM }, () => r() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

beforeAll(async () => {
  shop = await importedShop({ items: 1_000, queries: 10, seed: 11 });
  const r = rng(5);
  vectors = new Map(shop.items.map((i) => [i.id, randomUnit(r)]));
});
afterAll(() => shop.cleanup());

async function* itemVectors() {
  for (const [id, vector] of vectors) yield { id, vector };
}

/** Exact top-k among the items passing `keep`, by inner product (= cosine on unit vectors). */
function exactTop(q: Float32Array, keep: (i: ShopItem) => boolean, k: number): string[] {
  return shop.items
    .filter(keep)
    .map((i) => ({ id: i.id, s: dot(vectors.get(i.id)!, 0, q, 0, DIM) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id);
}

describe("vector index choice", () => {
  it("plans exact below the threshold and cosine ANN above it, never dot", () => {
    expect(planVectorIndex(49_999, 128).kind).toBe("exact");
    const hnsw = planVectorIndex(2_000_000, 128);
    expect(hnsw).toMatchObject({ kind: "ivf_hnsw_sq", params: { distance: "cosine", num_partitions: 2 } });
    const pq = planVectorIndex(1_000_000, 128, { ann: "ivf_pq" });
    expect(pq).toMatchObject({ kind: "ivf_pq", params: { distance: "cosine", num_partitions: 1000, num_sub_vectors: 16, refine_factor: 5, maximum_nprobes: 1000 } });
  });

  it("below the threshold: no vector index, exact search", async () => {
    const info = await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ dim: DIM }), itemVectors: itemVectors(), topK: 10 });
    expect(info.index.kind).toBe("exact");
    const rel = await openRelease(shop.dataDir, info.id);
    expect((await rel.items.listIndices()).map((i) => i.name).sort()).toEqual(["brand_idx", "category_idx", "price_idx"]);
  });

  for (const ann of ["ivf_hnsw_sq", "ivf_pq"] as const) {
    it(`above the threshold: ${ann} is built, and a selective prefilter still returns the exact top-10`, async () => {
      const info = await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ dim: DIM }), itemVectors: itemVectors(), topK: 10, exactThreshold: 300, ann });
      expect(info.index.kind).toBe(ann);
      expect(info.index.params.distance).toBe("cosine");
      const rel = await openRelease(shop.dataDir, info.id);
      const vidx = (await rel.items.listIndices()).find((i) => i.name === "vector_idx");
      expect(vidx?.indexType).toBe(ann === "ivf_pq" ? "IvfPq" : "IvfHnswSq");
      const r = rng(99);
      // Selective prefilters (~3% of rows) must be exact: the refine step re-scores every survivor.
      const cases: [string, (i: ShopItem) => boolean][] = [
        ["brand = 'Acme' AND category = 'Women>Shoes'", (i) => i.brand === "Acme" && i.category === "Women>Shoes"],
        ["`attributes`.`color` = 'red' AND price < 50", (i) => i.attributes?.color === "red" && i.price !== undefined && i.price < 50],
      ];
      for (const [where, keep] of cases) {
        for (let t = 0; t < 5; t++) {
          const q = randomUnit(r);
          const want = exactTop(q, keep, 10);
          const got = await searchItems(rel.items, rel.info.index, q, 10).where(where).select(["id", "_distance"]).toArray();
          expect(
            got.map((g) => g.id),
            `${ann} ${where} #${t}`,
          ).toEqual(want);
        }
      }
      // Unfiltered, ANN is approximate (PQ on random 32-d data is its hardest case): recall@10 ≥ 0.9.
      let found = 0;
      for (let t = 0; t < 10; t++) {
        const q = randomUnit(r);
        const want = new Set(exactTop(q, () => true, 10));
        const got = await searchItems(rel.items, rel.info.index, q, 10).select(["id", "_distance"]).toArray();
        found += got.filter((g) => want.has(g.id as string)).length;
      }
      expect(found / 100).toBeGreaterThanOrEqual(0.9);
    });
  }
});
