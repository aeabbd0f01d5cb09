import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRng, stream, weightedIndexSampler } from "./rng.ts";

describe("seeded rng", () => {
  it("repeats per seed and differs across seeds and stream labels", () => {
    const seq = (r: { next(): number }) => Array.from({ length: 5 }, () => r.next());
    expect(seq(createRng(42))).toEqual(seq(createRng(42)));
    expect(seq(createRng(42))).not.toEqual(seq(createRng(43)));
    expect(seq(stream(42, "a"))).not.toEqual(seq(stream(42, "b")));
  });

  it("keeps int in range and shuffle a permutation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -50, max: 50 }), fc.nat(100), (seed, lo, span) => {
        const r = createRng(seed);
        for (let i = 0; i < 20; i++) {
          const x = r.int(lo, lo + span);
          expect(Number.isInteger(x) && x >= lo && x <= lo + span).toBe(true);
          const f = r.next();
          expect(f >= 0 && f < 1).toBe(true);
        }
        const xs = Array.from({ length: span }, (_, i) => i);
        expect(r.shuffle(xs).sort((a, b) => a - b)).toEqual(xs);
      }),
    );
  });
});

describe("weightedIndexSampler", () => {
  it("draws indices in proportion to their weights and never a zero-weight one", () => {
    const r = createRng(3);
    const draw = weightedIndexSampler([1, 0, 3, 6], () => r.next());
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[draw()]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 20_000).toBeCloseTo(0.1, 1);
    expect(counts[2]! / 20_000).toBeCloseTo(0.3, 1);
    expect(counts[3]! / 20_000).toBeCloseTo(0.6, 1);
  });
});
