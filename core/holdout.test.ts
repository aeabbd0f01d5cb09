import { describe, expect, it } from "vitest";
import { pairHeldOut, rowHeldOut, timeCutoff } from "./holdout.ts";

describe("held-out split", () => {
  it("holds out a pair as a whole: the decision depends on (terms, item) only", () => {
    let held = 0;
    for (let i = 0; i < 2_000; i++) if (pairHeldOut("red dress", `sku-${i}`, 0, 0.1)) held++;
    // ~10% of pairs, and the same answer every time it is asked.
    expect(held).toBeGreaterThan(150);
    expect(held).toBeLessThan(250);
    for (let i = 0; i < 50; i++) expect(pairHeldOut("red dress", `sku-${i}`, 0, 0.1)).toBe(pairHeldOut("red dress", `sku-${i}`, 0, 0.1));
  });

  it("row split gives different answers to rows of one pair (why it leaks)", () => {
    const answers = new Set<boolean>();
    for (let line = 1; line <= 200; line++) answers.add(rowHeldOut(line, "red dress", "sku-1", 0, 0.5));
    expect(answers.size).toBe(2);
  });

  it("seed changes which pairs are held out", () => {
    const pick = (seed: number) => Array.from({ length: 500 }, (_, i) => pairHeldOut("q", `i${i}`, seed, 0.2));
    expect(pick(1)).not.toEqual(pick(2));
  });

  it("time cut-off holds out the latest fraction", () => {
    const ts = Array.from({ length: 100 }, (_, i) => 1_000 + i);
    const cut = timeCutoff(ts, 0.1)!;
    expect(ts.filter((t) => t >= cut).length).toBe(10);
    expect(timeCutoff([], 0.1)).toBeNull();
    expect(timeCutoff(ts, 0)).toBeNull();
  });
});

describe("tuning half of the held-out pairs", () => {
  it("splits pairs about evenly and deterministically", async () => {
    const { tuningPair } = await import("./holdout.ts");
    const picks = Array.from({ length: 1_000 }, (_, i) => tuningPair(`q${i % 37}`, `sku-${i}`));
    const n = picks.filter(Boolean).length;
    expect(n).toBeGreaterThan(430);
    expect(n).toBeLessThan(570);
    expect(Array.from({ length: 1_000 }, (_, i) => tuningPair(`q${i % 37}`, `sku-${i}`))).toEqual(picks);
  });
});
