import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/index.ts";
import { categoryLabel, linearProbe, probeFold } from "./probe.ts";

/** n items in C classes (sizes as given, cycled), dim d: class centres + noise of the given scale. */
function synthetic(opts: { n: number; d: number; classes: number; signal: number; seed?: number; sizes?: number[] }) {
  const rand = mulberry32(opts.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: opts.classes }, () => Float32Array.from({ length: opts.d }, gauss));
  const vectors = new Float32Array(opts.n * opts.d);
  const ids: string[] = [];
  const categories: (string | null)[] = [];
  for (let i = 0; i < opts.n; i++) {
    // Unbalanced on purpose: class 0 holds half the items, so the majority baseline is ~0.5.
    const c = i % 2 === 0 ? 0 : 1 + (Math.floor(i / 2) % (opts.classes - 1));
    ids.push(`item-${i}`);
    categories.push(`Shop>Type ${c}`);
    for (let j = 0; j < opts.d; j++) vectors[i * opts.d + j] = opts.signal * centres[c]![j]! + gauss();
  }
  return { vectors, dim: opts.d, ids, categories };
}

describe("linearProbe", () => {
  it("tells separable classes apart and is no better than the majority class on random vectors", () => {
    const sep = linearProbe(synthetic({ n: 600, d: 16, classes: 4, signal: 3 }))!;
    expect(sep.accuracy).toBeGreaterThan(0.97);
    expect(sep.classes).toBe(4);
    expect(sep.items).toBe(600);
    expect(sep.folds).toBe(5);
    expect(sep.majority).toBeGreaterThan(0.4);
    expect(sep.majority).toBeLessThan(0.6);
    const rnd = linearProbe(synthetic({ n: 600, d: 16, classes: 4, signal: 0 }))!;
    expect(Math.abs(rnd.accuracy - rnd.majority)).toBeLessThan(0.06);
    expect(rnd.sd).not.toBeNull();
    expect(rnd.foldAccuracy).toHaveLength(5);
  });

  it("gives the majority baseline exactly when every vector is the same (an empty title through a text-only tower)", () => {
    const s = synthetic({ n: 300, d: 8, classes: 3, signal: 0 });
    const same = new Float32Array(s.vectors.length);
    for (let i = 0; i < 300; i++) same.set([0.3, -0.1, 0.5, 0, 0.2, 0.7, -0.4, 0.1], i * 8);
    const r = linearProbe({ ...s, vectors: same })!;
    expect(r.accuracy).toBeCloseTo(r.majority, 12);
  });

  it("is deterministic, and its folds are a fixed hash of the item id", () => {
    const s = synthetic({ n: 400, d: 12, classes: 5, signal: 0.6 });
    const a = linearProbe(s)!;
    const b = linearProbe(s)!;
    expect(b).toEqual(a);
    // Rows in another order: the same items in the same folds, the same fitted models.
    const order = Array.from({ length: 400 }, (_, i) => 399 - i);
    const rev = {
      vectors: Float32Array.from({ length: s.vectors.length }, (_, t) => s.vectors[order[Math.floor(t / 12)]! * 12 + (t % 12)]!),
      dim: 12,
      ids: order.map((i) => s.ids[i]!),
      categories: order.map((i) => s.categories[i]!),
    };
    const c = linearProbe(rev)!;
    expect(c.foldAccuracy.map((x) => x.toFixed(9))).toEqual(a.foldAccuracy.map((x) => x.toFixed(9)));
    // An item's fold does not depend on which other items are probed; the seed salts it.
    expect(probeFold("item-7", 5)).toBe(probeFold("item-7", 5));
    const folds = s.ids.map((id) => probeFold(id, 5));
    expect(new Set(folds).size).toBe(5);
    expect(s.ids.map((id) => probeFold(id, 5, 1))).not.toEqual(folds);
    // A subset of rows keeps every remaining item in its fold: probing a subset works and differs.
    const half = linearProbe({ ...s, rows: Array.from({ length: 200 }, (_, i) => 4 * Math.floor(i / 2) + (i % 2)) })!;
    expect(half.items).toBe(200);
  });

  it("drops classes with fewer items than folds and counts them; skips rows without a category", () => {
    const s = synthetic({ n: 200, d: 8, classes: 3, signal: 2 });
    const categories = [...s.categories];
    categories[1] = "Rare>One";
    categories[3] = "Rare>One";
    categories[5] = "Rare>Two";
    categories[7] = null;
    categories[9] = "";
    const r = linearProbe({ ...s, categories })!;
    expect(r.droppedClasses).toBe(2);
    expect(r.droppedItems).toBe(3);
    expect(r.items).toBe(200 - 3 - 2);
    expect(r.classes).toBe(3);
    // With 2 folds "Rare>One" (2 items) stays.
    expect(linearProbe({ ...s, categories }, { folds: 2 })!.classes).toBe(4);
    // One class left: nothing to tell apart.
    expect(linearProbe({ ...s, categories: s.categories.map(() => "All") })).toBeNull();
    expect(() => linearProbe(s, { folds: 1 })).toThrow(/folds/);
  });

  it("labels by the whole path, or by its leaf", () => {
    expect(categoryLabel(" Women > Dresses ")).toBe("Women>Dresses");
    expect(categoryLabel("Women>Dresses", "leaf")).toBe("Dresses");
    expect(categoryLabel(">")).toBeNull();
    expect(categoryLabel(null)).toBeNull();
    const s = synthetic({ n: 200, d: 8, classes: 2, signal: 2 });
    const categories = s.ids.map((_, i) => (i % 2 ? "Women>Shoes" : "Kids>Shoes"));
    expect(linearProbe({ ...s, categories })!.classes).toBe(2);
    expect(linearProbe({ ...s, categories }, { label: "leaf" })).toBeNull();
  });

  // Speed is not asserted here (speed goals live in benchmarks); this is the catalog-scale case.
  it("learns a weak signal at catalog scale: 5,000 items × 128 dims × 10 classes", () => {
    const s = synthetic({ n: 5000, d: 128, classes: 10, signal: 0.3 });
    const r = linearProbe(s)!;
    expect(r.items).toBe(5000);
    expect(r.accuracy).toBeGreaterThan(r.majority + 0.2);
  }, 60_000);
});
