import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { createPairSampler } from "./pair-sampler.ts";

const take = (s: { next(): Int32Array }, k: number) => Array.from({ length: k }, () => [...s.next()]);

describe("createPairSampler", () => {
  it("uniform: each epoch is a permutation, different per epoch, same for the same seed", () => {
    const s = createPairSampler({ n: 10, batchSize: 5, seed: 7 });
    const e0 = [...take(s, 2).flat()];
    const e1 = [...take(s, 2).flat()];
    expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e0).not.toEqual(e1);
    expect(take(createPairSampler({ n: 10, batchSize: 5, seed: 7 }), 2).flat()).toEqual(e0);
    expect(take(createPairSampler({ n: 10, batchSize: 5, seed: 8 }), 2).flat()).not.toEqual(e0);
    expect(s.state()).toEqual({ epoch: 2, cursor: 0, seed: 7, n: 10 });
  });

  it("keeps batches full across epoch ends, also when n < batchSize", () => {
    const s = createPairSampler({ n: 7, batchSize: 3, seed: 1 });
    const flat = take(s, 7).flat();
    expect(flat).toHaveLength(21);
    expect(flat.slice(0, 7)).toEqual([...s.epochOrder(0)]);
    expect(flat.slice(7, 14)).toEqual([...s.epochOrder(1)]);
    expect(s.batchesPerEpoch).toBe(3);
    const tiny = createPairSampler({ n: 2, batchSize: 5, seed: 1 });
    expect(tiny.next()).toHaveLength(5);
    expect(tiny.state()).toMatchObject({ epoch: 2, cursor: 1 });
  });

  it("weighted: draws ∝ weights (zero weight never drawn)", () => {
    const weights = [0, 1, 3, 6];
    const s = createPairSampler({ n: 4, batchSize: 100, seed: 3, weights });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 200; i++) for (const x of s.next()) counts[x]!++;
    expect(counts[0]).toBe(0);
    expect(counts[1]! / 20_000).toBeCloseTo(0.1, 1);
    expect(counts[2]! / 20_000).toBeCloseTo(0.3, 1);
    expect(counts[3]! / 20_000).toBeCloseTo(0.6, 1);
  });

  it("a resumed sampler continues with exactly the batches of an uninterrupted one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 30 }), fc.boolean(), fc.nat(), (n, batchSize, stopAt, weighted, seed) => {
        const weights = weighted ? Array.from({ length: n }, (_, i) => 1 + (i % 4)) : undefined;
        const opts = { n, batchSize, seed, ...(weights ? { weights } : {}) };
        const straight = take(createPairSampler(opts), stopAt + 10);
        const first = createPairSampler(opts);
        const before = take(first, stopAt);
        // The state goes through JSON as a checkpoint would.
        const saved = JSON.parse(JSON.stringify(first.state()));
        const resumed = createPairSampler(opts).fromState(saved);
        expect([...before, ...take(resumed, 10)]).toEqual(straight);
        expect(take(createPairSampler({ ...opts, state: saved }), 10)).toEqual(straight.slice(stopAt));
      }),
      { numRuns: 150 },
    );
  });

  it("refuses a state from other data or seed, and bad options", () => {
    const s = createPairSampler({ n: 10, batchSize: 4, seed: 1 });
    expect(() => s.fromState({ epoch: 0, cursor: 0, seed: 2, n: 10 })).toThrow(TrainError);
    expect(() => s.fromState({ epoch: 0, cursor: 0, seed: 1, n: 11 })).toThrow(/data or seed changed/);
    expect(() => s.fromState({ epoch: 0, cursor: 10, seed: 1, n: 10 })).toThrow(TrainError);
    expect(() => createPairSampler({ n: 0, batchSize: 4, seed: 1 })).toThrow(TrainError);
    expect(() => createPairSampler({ n: 3, batchSize: 4, seed: 1, weights: [1, 2] })).toThrow(TrainError);
    expect(() => createPairSampler({ n: 2, batchSize: 4, seed: 1, weights: [0, 0] })).toThrow(TrainError);
  });
});
