import { describe, expect, it } from "vitest";
import type { MetricsTable } from "../../core/index.ts";
import { SLICES } from "./eval-context.ts";
import { meanMetrics, sd, seedSummary } from "./seed-summary.ts";

const table = (r100: number, ndcg: number): MetricsTable => {
  const set = { queries: 10, recall: { 10: r100 / 2, 100: r100 }, hitRate: { 10: 1 }, ndcg10: ndcg, relevance: { 10: null }, categoryConsistency: { 10: 0.5 } };
  return { ks: [10, 100], overall: set, slices: { [SLICES.unseen]: set } };
};

describe("seed summaries", () => {
  it("averages per field and reports the sample sd", () => {
    const m = meanMetrics([table(0.6, 0.4), table(0.8, 0.5)]);
    expect(m.overall.recall[100]).toBeCloseTo(0.7, 12);
    expect(m.slices[SLICES.unseen]!.ndcg10).toBeCloseTo(0.45, 12);
    expect(m.overall.relevance[10]).toBeNull();
    expect(sd([0.6, 0.8])).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(sd([0.6])).toBeNull();
    expect(sd([0.6, null])).toBeNull();
  });

  it("prints mean ± sd, and n/a where one seed gives no spread", () => {
    const md = seedSummary([
      { label: "fusion", seeds: [1, 2], tables: [table(0.6, 0.4), table(0.8, 0.5)], weights: [0.5, 0.7] },
      { label: "text", seeds: [1], tables: [table(0.5, 0.3)] },
    ]);
    expect(md).toMatch(/\| fusion \| 1,2 \| 0\.5,0\.7 \| 35\.0 ± 7\.1 \| 70\.0 ± 14\.1 \| 45\.0 ± 7\.1 \|/);
    expect(md).toMatch(/\| text \| 1 \| — \| 25\.0 ± n\/a \| 50\.0 ± n\/a \| 30\.0 ± n\/a \|/);
  });
});
