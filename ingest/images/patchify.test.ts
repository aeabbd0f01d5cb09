import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { patchify } from "./patchify.ts";

describe("patchify", () => {
  it("gives each of the 16 patches its own constant colour", () => {
    const size = 64;
    const grid = 4;
    const side = size / grid;
    const colour = (p: number): [number, number, number] => [p * 10, 255 - p * 10, (p * 37) % 256];
    const thumb = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = Math.floor(y / side) * grid + Math.floor(x / side);
        thumb.set(colour(p), (y * size + x) * 3);
      }
    }
    const patches = patchify(thumb, size, grid);
    expect(patches).toHaveLength(16);
    patches.forEach((patch, p) => {
      expect(patch).toBeInstanceOf(Float32Array);
      expect(patch.length).toBe(side * side * 3);
      const [r, g, b] = colour(p).map((v) => Math.fround(v / 255));
      for (let i = 0; i < patch.length; i += 3) {
        expect([patch[i], patch[i + 1], patch[i + 2]]).toEqual([r, g, b]);
      }
    });
  });

  it("is a lossless rearrangement of the thumbnail (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (grid, side, seed) => {
        const size = grid * side;
        const thumb = new Uint8Array(size * size * 3).map((_, i) => (i * 31 + seed) & 255);
        const patches = patchify(thumb, size, grid);
        expect(patches).toHaveLength(grid * grid);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const patch = patches[Math.floor(y / side) * grid + Math.floor(x / side)]!;
            const within = ((y % side) * side + (x % side)) * 3;
            for (let c = 0; c < 3; c++) {
              expect(patch[within + c]).toBe(Math.fround(thumb[(y * size + x) * 3 + c]! / 255));
            }
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it("rejects a wrong length or a size not divisible by grid", () => {
    expect(() => patchify(new Uint8Array(10), 64, 4)).toThrow(/expected 64\*64\*3/);
    expect(() => patchify(new Uint8Array(10 * 10 * 3), 10, 4)).toThrow(/not divisible/);
  });
});
