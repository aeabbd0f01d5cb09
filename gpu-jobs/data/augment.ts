// Two augmented views of a batch's thumbnails for image–image contrastive learning (issue #17):
// a random crop of 50–100% of the area at an aspect of ¾–4⁄3, resized back bilinearly, a
// horizontal flip half the time, and brightness and contrast jitter — the augmentations of SimCLR
// that keep a product's type (no rotation: a shoe on its side is no longer how a shop shows it).
// Drawn from a stream seeded by (seed, step), so a resumed run draws the same views.
import { stream, type Rng } from "../../core/index.ts";
import type { TrainingItems } from "./load-training-data.ts";
import { patchesOf } from "./patches.ts";

/** How strong the augmentations are. */
export interface AugmentOptions {
  /** Smallest share of the thumbnail's area a crop keeps (the largest is 1). */
  minArea: number;
  /** Largest brightness and contrast change, as a share (0.3: factors in [0.7, 1.3]). */
  jitter: number;
}

/** SimCLR's crop range and a milder colour jitter (thumbnails carry colour as a product attribute). */
export const DEFAULT_AUGMENT: AugmentOptions = { minArea: 0.5, jitter: 0.3 };

/** One augmented copy of the S×S×3 thumbnail at `src` written to `dst` at `d` (both byte arrays). */
function augmentOne(src: Uint8Array, s0: number, dst: Uint8Array, d0: number, size: number, rnd: () => number, o: AugmentOptions): void {
  const area = o.minArea + (1 - o.minArea) * rnd();
  // Aspects the area allows inside the thumbnail (w = S·√(area·r) ≤ S and h = S·√(area/r) ≤ S), within ¾–4⁄3.
  const lo = Math.log(Math.max(3 / 4, area));
  const hi = Math.log(Math.min(4 / 3, 1 / area));
  const aspect = Math.exp(lo + (hi - lo) * rnd());
  const cw = Math.min(size, Math.max(2, Math.round(size * Math.sqrt(area * aspect))));
  const ch = Math.min(size, Math.max(2, Math.round(size * Math.sqrt(area / aspect))));
  const x0 = Math.floor(rnd() * (size - cw + 1));
  const y0 = Math.floor(rnd() * (size - ch + 1));
  const flip = rnd() < 0.5;
  const bright = 1 + o.jitter * (2 * rnd() - 1);
  const contrast = 1 + o.jitter * (2 * rnd() - 1);
  // Contrast pivots on the thumbnail's mean grey, as torchvision's ColorJitter does.
  let sum = 0;
  for (let i = 0; i < size * size * 3; i++) sum += src[s0 + i]!;
  const mean = (sum / (size * size * 3)) * bright;
  const at = (x: number, y: number, c: number) => src[s0 + (y * size + x) * 3 + c]!;
  for (let y = 0; y < size; y++) {
    // Sample the crop at pixel centres: (y + ½)·ch/size − ½ in crop coordinates.
    const fy = Math.min(ch - 1, Math.max(0, ((y + 0.5) * ch) / size - 0.5));
    const yA = Math.floor(fy);
    const yB = Math.min(ch - 1, yA + 1);
    const wy = fy - yA;
    for (let x = 0; x < size; x++) {
      const xs = flip ? size - 1 - x : x;
      const fx = Math.min(cw - 1, Math.max(0, ((xs + 0.5) * cw) / size - 0.5));
      const xA = Math.floor(fx);
      const xB = Math.min(cw - 1, xA + 1);
      const wx = fx - xA;
      for (let c = 0; c < 3; c++) {
        const top = at(x0 + xA, y0 + yA, c) * (1 - wx) + at(x0 + xB, y0 + yA, c) * wx;
        const bottom = at(x0 + xA, y0 + yB, c) * (1 - wx) + at(x0 + xB, y0 + yB, c) * wx;
        const v = ((top * (1 - wy) + bottom * wy) * bright - mean) * contrast + mean;
        dst[d0 + (y * size + x) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
}

/** rows.length thumbnails, each an augmented copy (zeros for text-only items), as `patchesOf` takes them (rows 0..n−1). */
export function augmentThumbs(
  items: Pick<TrainingItems, "thumbs" | "thumbSize" | "textOnly">,
  rows: Int32Array,
  rng: Rng,
  o: AugmentOptions = DEFAULT_AUGMENT,
): Pick<TrainingItems, "thumbs" | "thumbSize"> {
  const size = items.thumbSize;
  const bytes = size * size * 3;
  const thumbs = new Uint8Array(rows.length * bytes);
  const rnd = () => rng.next();
  rows.forEach((r, i) => {
    if (!items.textOnly[r]) augmentOne(items.thumbs, r * bytes, thumbs, i * bytes, size, rnd, o);
  });
  return { thumbs, thumbSize: size };
}

/** Two augmented views of the rows' thumbnails as patch inputs [B×grid²×patchDim] in [0, 1], drawn from (seed, step). */
export function augmentedViews(
  items: Pick<TrainingItems, "thumbs" | "thumbSize" | "textOnly">,
  rows: Int32Array,
  grid: number,
  seed: number,
  step: number,
  o: AugmentOptions = DEFAULT_AUGMENT,
): [Float32Array, Float32Array] {
  const rng = stream(seed, `views:${step}`);
  const local = Int32Array.from(rows, (_, i) => i);
  const view = () => patchesOf(augmentThumbs(items, rows, rng, o), local, grid);
  return [view(), view()];
}
