// The augmented views of image–image contrast: with no crop and no jitter a view is the thumbnail
// or its mirror image exactly (so the resampling is right), the jitter stays in its range, views
// are drawn from (seed, step), and text-only items stay blank.
import { describe, expect, it } from "vitest";
import { createRng } from "../../core/index.ts";
import { augmentedViews, augmentThumbs } from "./augment.ts";
import { patchesOf } from "./patches.ts";

const SIZE = 8;
/** n thumbnails of SIZE², each a distinct gradient (no two pixels of one thumbnail alike). */
function items(n: number, textOnly: boolean[] = []) {
  const thumbs = new Uint8Array(n * SIZE * SIZE * 3);
  for (let i = 0; i < thumbs.length; i++) thumbs[i] = (i * 7 + Math.floor(i / 3) * 13) % 251;
  return { thumbs, thumbSize: SIZE, textOnly: Array.from({ length: n }, (_, i) => textOnly[i] ?? false) };
}

function mirror(src: Uint8Array, at: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) out.push(src[at + (y * SIZE + (SIZE - 1 - x)) * 3 + c]!);
  return out;
}

describe("augmentThumbs", () => {
  it("with the whole area kept and no jitter, gives each thumbnail back as it is or mirrored, both seen", () => {
    const it8 = items(16);
    const rows = Int32Array.from({ length: 16 }, (_, i) => 15 - i);
    const out = augmentThumbs(it8, rows, createRng(5), { minArea: 1, jitter: 0 });
    const bytes = SIZE * SIZE * 3;
    let flipped = 0;
    rows.forEach((r, i) => {
      const got = Array.from(out.thumbs.subarray(i * bytes, (i + 1) * bytes));
      const orig = Array.from(it8.thumbs.subarray(r * bytes, (r + 1) * bytes));
      if (JSON.stringify(got) === JSON.stringify(orig)) return;
      expect(got).toEqual(mirror(it8.thumbs, r * bytes));
      flipped++;
    });
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(16);
  });

  it("scales a flat grey by brightness within ±jitter, and crops change the picture", () => {
    const flat = { thumbs: new Uint8Array(4 * SIZE * SIZE * 3).fill(100), thumbSize: SIZE, textOnly: [false, false, false, false] };
    const out = augmentThumbs(flat, Int32Array.from([0, 1, 2, 3]), createRng(9), { minArea: 0.5, jitter: 0.3 });
    const values = new Set(out.thumbs);
    for (const v of values) expect(v >= 70 && v <= 130).toBe(true);
    expect(values.size).toBeGreaterThan(1); // four draws of brightness, not all 1
    const grad = items(1);
    const cropped = augmentThumbs(grad, Int32Array.from([0, 0, 0, 0]), createRng(2), { minArea: 0.3, jitter: 0 });
    const bytes = SIZE * SIZE * 3;
    const differs = [0, 1, 2, 3].filter((i) => {
      const a = cropped.thumbs.subarray(i * bytes, (i + 1) * bytes);
      return a.some((v, k) => v !== grad.thumbs[k]) && a.some((v, k) => v !== mirror(grad.thumbs, 0)[k]);
    });
    expect(differs.length).toBeGreaterThan(0);
  });
});

describe("augmentedViews", () => {
  it("draws two different views from (seed, step): the same again, another step differs; text-only rows stay zero", () => {
    const it4 = items(4, [false, true, false, false]);
    const rows = Int32Array.from([0, 1, 2, 3]);
    const [a, b] = augmentedViews(it4, rows, 2, 7, 3);
    expect(a).toHaveLength(patchesOf(it4, rows, 2).length);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const [a2, b2] = augmentedViews(it4, rows, 2, 7, 3);
    expect(a2).toEqual(a);
    expect(b2).toEqual(b);
    expect(Array.from(augmentedViews(it4, rows, 2, 7, 4)[0])).not.toEqual(Array.from(a));
    const per = a.length / 4;
    expect(a.subarray(per, 2 * per).every((v) => v === 0)).toBe(true);
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
