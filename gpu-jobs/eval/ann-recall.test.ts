import { describe, expect, it } from "vitest";
import { annRecall, formatAnnRecall } from "./ann-recall.ts";
import { exactTopKBatch } from "../../core/index.ts";

// Seeded unit vectors: clustered items so that neighbours are not all ties.
function vectors(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += (out[i * dim + d] = rnd() + (d === i % dim ? 2 : 0)) ** 2;
    for (let d = 0; d < dim; d++) out[i * dim + d]! /= Math.sqrt(norm);
  }
  return out;
}

describe("annRecall", () => {
  it("measures IVF_HNSW_SQ against exact top-K on the same vectors", async () => {
    const dim = 16;
    const items = vectors(1500, dim, 1);
    const queries = vectors(40, dim, 2);
    const exact = exactTopKBatch({ items, queries, dim, k: 100 }).rows;
    const r = await annRecall({ items, queries, dim, exact, ks: [10, 100] });
    expect(r.plan.kind).toBe("ivf_hnsw_sq");
    expect(r.queries).toBe(40);
    expect(r.recall[10]).toBeGreaterThan(0.9);
    expect(r.recall[100]).toBeGreaterThan(0.9);
    expect(r.recall[100]).toBeLessThanOrEqual(1);
    expect(formatAnnRecall("x", r)).toMatch(/^ANN recall vs exact \(x\): @10 \d+\.\d%, @100 \d+\.\d% over 40 queries — ivf_hnsw_sq \(m 20/);
  }, 30_000);
});
