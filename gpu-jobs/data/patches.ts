// Thumbnails → patch tokens' raw input: the same cut as ingest/images/patchify (row-major grid of
// (S/grid)²×3 patches, values in [0, 1]), written straight into one flat batch buffer.
import { TrainError } from "../errors.ts";
import type { TrainingItems } from "./load-training-data.ts";

/** Values per patch: (S/grid)²·3. */
export function patchDim(thumbSize: number, grid: number): number {
  if (!Number.isInteger(grid) || grid < 1 || thumbSize % grid !== 0) {
    throw new TrainError("BAD_OPTION", `patch grid ${grid} must divide the thumbnail size ${thumbSize}`);
  }
  const side = thumbSize / grid;
  return side * side * 3;
}

/** B×grid²×patchDim floats in [0, 1] for the items at `rows` (zeros for text-only items); `out` is reused when given. */
export function patchesOf(items: Pick<TrainingItems, "thumbs" | "thumbSize">, rows: Int32Array, grid = 4, out?: Float32Array): Float32Array {
  const size = items.thumbSize;
  const dim = patchDim(size, grid);
  const perItem = grid * grid * dim;
  const bytes = size * size * 3;
  if (items.thumbs.length === 0) throw new TrainError("BAD_OPTION", "patchesOf needs thumbnails: load the data with thumbs enabled");
  const dst = out ?? new Float32Array(rows.length * perItem);
  if (dst.length !== rows.length * perItem) throw new TrainError("BAD_OPTION", `patchesOf: out has ${dst.length} floats, expected ${rows.length * perItem}`);
  const side = size / grid;
  const rowBytes = side * 3;
  for (let b = 0; b < rows.length; b++) {
    const src = rows[b]! * bytes;
    if (rows[b]! < 0 || src + bytes > items.thumbs.length) throw new TrainError("BAD_OPTION", `patchesOf: item row ${rows[b]} is out of range`);
    let d = b * perItem;
    for (let py = 0; py < grid; py++) {
      for (let px = 0; px < grid; px++) {
        for (let y = 0; y < side; y++) {
          let s = src + ((py * side + y) * size + px * side) * 3;
          for (let i = 0; i < rowBytes; i++) dst[d++] = items.thumbs[s++]! / 255;
        }
      }
    }
  }
  return dst;
}
