// The backbone's pre- and post-processing apart from the model (as tfjs-models keep them): RGB
// pixels already resized by sharp → the input tensor the JSON declares, and the model's output →
// the patch tokens the item tower sees. Pure functions: training, embed and tests share them.
import type { BackboneSpec } from "./backbone-spec.ts";

/** One image's input values: size×size RGB bytes (row-major, HWC) → scaled, normalised, in the model's layout and channel order. */
export function pixelsToInput(rgb: Uint8Array, spec: BackboneSpec, out?: Float32Array, offset = 0): Float32Array {
  const { size, layout, channels, scale, mean, std } = spec.input;
  const plane = size * size;
  if (rgb.length !== plane * 3) throw new RangeError(`pixelsToInput: expected ${size}×${size}×3 bytes, got ${rgb.length}`);
  const dst = out ?? new Float32Array(plane * 3);
  // Channel c of the model's input reads source channel src[c] (BGR models read blue first).
  const src = channels === "BGR" ? [2, 1, 0] : [0, 1, 2];
  for (let c = 0; c < 3; c++) {
    const s = src[c]!;
    const m = mean[c]!;
    const inv = 1 / std[c]!;
    for (let p = 0; p < plane; p++) {
      const v = (rgb[p * 3 + s]! / scale - m) * inv;
      dst[offset + (layout === "NCHW" ? c * plane + p : p * 3 + c)] = v;
    }
  }
  return dst;
}

/** A feature map's shape without the batch axis. */
export interface MapShape {
  /** Channels. */
  c: number;
  /** Rows. */
  h: number;
  /** Columns. */
  w: number;
}

/** Tokens a feature map of h×w pools to: at most grid per side (a 7×7 ResNet map → 4×4, a 2×2 map stays 2×2). */
export function pooledGrid(h: number, w: number, grid: number): { gh: number; gw: number } {
  return { gh: Math.min(h, grid), gw: Math.min(w, grid) };
}

/**
 * One image's feature map (no batch axis; NCHW [C,H,W] or NHWC [H,W,C]) → patch tokens [gh·gw, C],
 * row-major over the grid, each the average of its cell (PyTorch's adaptive average pooling bins:
 * rows floor(i·H/gh) .. ceil((i+1)·H/gh), so uneven maps such as 7×7 → 4×4 overlap by a row).
 */
export function poolFeatureMap(map: Float32Array, shape: MapShape, layout: "NCHW" | "NHWC", grid: number): Float32Array {
  const { c, h, w } = shape;
  if (map.length !== c * h * w) throw new RangeError(`poolFeatureMap: ${map.length} values for [${c},${h},${w}]`);
  const { gh, gw } = pooledGrid(h, w, grid);
  const out = new Float32Array(gh * gw * c);
  const at = layout === "NCHW" ? (ch: number, y: number, x: number) => map[(ch * h + y) * w + x]! : (ch: number, y: number, x: number) => map[(y * w + x) * c + ch]!;
  for (let i = 0; i < gh; i++) {
    const y0 = Math.floor((i * h) / gh);
    const y1 = Math.ceil(((i + 1) * h) / gh);
    for (let j = 0; j < gw; j++) {
      const x0 = Math.floor((j * w) / gw);
      const x1 = Math.ceil(((j + 1) * w) / gw);
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      const base = (i * gw + j) * c;
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += at(ch, y, x);
        out[base + ch] = sum * inv;
      }
    }
  }
  return out;
}
