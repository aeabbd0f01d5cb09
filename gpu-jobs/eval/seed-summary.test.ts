import { describe, expect, it } from "vitest";
import type { MetricsTable } from "../../core/index.ts";
import { SLICES } from "./eval-context.ts";
import { meanMetrics, pairedSummary, parseAblationSeeds, sd, seedSummary } from "./seed-summary.ts";

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
    expect(md).not.toContain("probe");
  });

  it("adds the probe accuracies as mean ± sd over seeds", () => {
    const probe = (accuracy: number) => ({
      accuracy,
      sd: 0.01,
      foldAccuracy: [accuracy],
      majority: 0.1,
      items: 100,
      classes: 10,
      folds: 5,
      droppedClasses: 0,
      droppedItems: 0,
      label: "path" as const,
    });
    const md = seedSummary([
      {
        label: "fusion",
        seeds: [1, 2],
        tables: [table(0.6, 0.4), table(0.8, 0.5)],
        probes: [
          { published: probe(0.9), titleMasked: probe(0.8) },
          { published: probe(0.92), titleMasked: probe(0.84) },
        ],
      },
      { label: "text", seeds: [1], tables: [table(0.5, 0.3)], probes: [{ published: probe(0.7), titleMasked: null }] },
      { label: "lexical", seeds: [1], tables: [table(0.5, 0.3)] },
    ]);
    expect(md.split("\n")[0]).toMatch(/\| overall NDCG@10 \| probe acc \| probe acc, title masked \|$/);
    expect(md).toMatch(/\| fusion \| 1,2 \|[^\n]*\| 91\.0 ± 1\.4 \| 82\.0 ± 2\.8 \|/);
    expect(md).toMatch(/\| text \| 1 \|[^\n]*\| 70\.0 ± n\/a \| — \|/);
    expect(md).toMatch(/\| lexical \| 1 \|[^\n]*\| — \| — \|/);
  });

  it("compares rows with a baseline run seed by seed: mean ± sd of the differences over common seeds", () => {
    const now = [
      { label: "fusion", seeds: [1, 2, 3], tables: [table(0.62, 0.4), table(0.84, 0.5), table(0.9, 0.5)] },
      { label: "text", seeds: [1], tables: [table(0.5, 0.3)] },
    ];
    // Seed 3 has no baseline, "text" no baseline row: both are left out.
    const before = [{ label: "fusion", seeds: [2, 1], tables: [table(0.8, 0.55), table(0.6, 0.4)] }];
    const md = pairedSummary(now, before);
    // R@100 differences +0.02 and +0.04: mean +3.0, sd 1.4 (the unpaired sd over seeds would be 15.6).
    expect(md).toMatch(/\| fusion \| 1,2 \| \+1\.5 ± 0\.7 \| \+3\.0 ± 1\.4 \| −2\.5 ± 3\.5 \|/);
    expect(md.split("\n")[0]).toMatch(/^\| Variant \| Seeds \| Δ unseen R@10 \| Δ unseen R@100 \| Δ unseen NDCG@10 \|/);
    expect(md).not.toContain("| text |");
    expect(md).toMatch(/\n\nNot compared \(no baseline\): fusion seed 3; text \(no baseline row\)\.$/);
    // A difference that rounds to zero is +0.0, whatever its sign before rounding.
    const tiny = pairedSummary([{ label: "t", seeds: [1], tables: [table(0.6, 0.4)] }], [{ label: "t", seeds: [1], tables: [table(0.6, 0.400004)] }]);
    expect(tiny).toMatch(/\| t \| 1 \| \+0\.0 ± n\/a \| \+0\.0 ± n\/a \| \+0\.0 ± n\/a \|/);
    expect(pairedSummary(now, [{ label: "concat", seeds: [1], tables: [table(0.5, 0.3)] }])).toMatch(/no row of this run has a baseline row/);
  });

  it("reads a seeds.json back, and names the file when it is not one", () => {
    const good = { command: "vitrine eval", rows: [{ table: "tower", channels: "served", row: { label: "fusion", seeds: [1], tables: [table(0.6, 0.4)] } }] };
    expect(parseAblationSeeds(JSON.stringify(good), "a/seeds.json")).toEqual(good);
    expect(() => parseAblationSeeds("{", "a/seeds.json")).toThrow(/^a\/seeds\.json is not JSON/);
    const noSlices = { ...good, rows: [{ ...good.rows[0], row: { label: "fusion", seeds: [1], tables: [{ ks: [10] }] } }] };
    expect(() => parseAblationSeeds(JSON.stringify(noSlices), "a/seeds.json")).toThrow(/a\/seeds\.json is not an ablation seeds\.json/);
  });
});
