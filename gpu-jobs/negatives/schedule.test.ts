import { describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { activeAt, startStep } from "./schedule.ts";

describe("activeAt / startStep", () => {
  it("turns on at ⌈fraction · total⌉ (0-based steps)", () => {
    expect(startStep(10, 0.5)).toBe(5);
    expect(activeAt(4, 10, 0.5)).toBe(false);
    expect(activeAt(5, 10, 0.5)).toBe(true);
    expect(activeAt(9, 10, 0.5)).toBe(true);
    // Non-integer product rounds up: 0.25 · 10 = 2.5 → on from step 3.
    expect(activeAt(2, 10, 0.25)).toBe(false);
    expect(activeAt(3, 10, 0.25)).toBe(true);
  });

  it("is not thrown off by float error (0.3 · 10 = 3.0000000000000004 → step 3)", () => {
    expect(startStep(10, 0.3)).toBe(3);
    expect(activeAt(2, 10, 0.3)).toBe(false);
    expect(activeAt(3, 10, 0.3)).toBe(true);
    expect(startStep(100, 0.07)).toBe(7);
  });

  it("fraction 0 is on from the first step; fraction 1 never turns on within the run", () => {
    expect(activeAt(0, 10, 0)).toBe(true);
    expect(activeAt(9, 10, 1)).toBe(false);
    expect(activeAt(10, 10, 1)).toBe(true); // past the planned end (e.g. an extended run)
  });

  it("rejects bad arguments", () => {
    expect(() => activeAt(0, 10, 1.5)).toThrow(TrainError);
    expect(() => activeAt(0, 10, Number.NaN)).toThrow(/fraction/);
    expect(() => activeAt(0, 0, 0.5)).toThrow(/totalSteps/);
    expect(() => activeAt(-1, 10, 0.5)).toThrow(RangeError);
    expect(() => activeAt(1.5, 10, 0.5)).toThrow(RangeError);
  });
});
