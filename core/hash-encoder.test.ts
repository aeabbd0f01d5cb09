import { describe, expect, it } from "vitest";
import { createHashEncoder } from "./hash-encoder.ts";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("createHashEncoder", () => {
  it("gives unit vectors of the chosen dimension, deterministic per seed", () => {
    const enc = createHashEncoder({ dim: 64, seed: 3 });
    const [a, b, empty] = enc.encode(["Red floral dress", "red floral dress", "???"]);
    expect(a!.length).toBe(64);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(dot(empty!, empty!)).toBeCloseTo(1, 5);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Array.from(createHashEncoder({ dim: 64, seed: 3 }).encode(["Red floral dress"])[0]!)).toEqual(Array.from(a!));
    expect(Array.from(createHashEncoder({ dim: 64, seed: 4 }).encode(["Red floral dress"])[0]!)).not.toEqual(Array.from(a!));
  });

  it("is a bag of words: order does not matter, shared terms score higher", () => {
    const enc = createHashEncoder();
    const [q, swapped, near, far] = enc.encode(["red dress", "dress red", "red summer dress", "leather boots"]);
    expect(dot(q!, swapped!)).toBeCloseTo(1, 5);
    expect(dot(q!, near!)).toBeGreaterThan(dot(q!, far!));
    expect(enc.name).toBe("hash-bow-v1");
  });

  it("handles CJK through the segmenter and shares trigrams between word forms", () => {
    const enc = createHashEncoder();
    const [a, b, c] = enc.encode(["红色连衣裙", "连衣裙", "运动鞋"]);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!));
    const [dresses, dress, boots] = enc.encode(["dresses", "dress", "boots"]);
    expect(dot(dresses!, dress!)).toBeGreaterThan(dot(dresses!, boots!));
  });
});
