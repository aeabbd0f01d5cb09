// A tiny ONNX image backbone built inside the tests (no download): Conv(3→C, k×k, stride) → Relu
// → (GlobalAveragePool for a pooled output), fixed seeded weights, written as FILE.onnx with its
// FILE.json beside it — the same two files a shop brings.
import { writeFile } from "node:fs/promises";
import { mulberry32 } from "../../core/index.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";

/** Shape and behaviour of the test backbone. */
export interface TestBackboneOptions {
  /** Input side in pixels (default 16). */
  size?: number;
  /** Output channels (default 6). */
  channels?: number;
  /** Convolution kernel side (default 4: with the default stride a 16×16 input gives a 4×4 map). */
  kernel?: number;
  /** Convolution stride (default: the kernel side). */
  stride?: number;
  /** Zero padding on each side (default 0). */
  pad?: number;
  /** Output a pooled vector (GlobalAveragePool) instead of the feature map (default false). */
  pooled?: boolean;
  /** Fix the batch axis at 1 instead of a dynamic one (default false). */
  batchOne?: boolean;
  /** Seed of the weights (default 3). */
  seed?: number;
  /** Extra or replaced JSON fields (default: ImageNet mean/std, NCHW, RGB). */
  json?: Record<string, unknown>;
}

/** The ONNX bytes of the test backbone. */
export function testBackboneBytes(o: TestBackboneOptions = {}): Uint8Array {
  const size = o.size ?? 16;
  const c = o.channels ?? 6;
  const k = o.kernel ?? 4;
  const stride = o.stride ?? k;
  const pad = o.pad ?? 0;
  const rand = mulberry32(o.seed ?? 3);
  const g = new GraphBuilder("test_backbone");
  const x = g.input({ name: "pixels", type: "float32", dims: [o.batchOne ? 1 : "batch", 3, size, size] });
  const w = g.init(
    "conv.w",
    Float32Array.from({ length: c * 3 * k * k }, () => (rand() * 2 - 1) / Math.sqrt(3 * k * k)),
    [c, 3, k, k],
  );
  const b = g.init(
    "conv.b",
    Float32Array.from({ length: c }, () => rand() * 0.1),
    [c],
  );
  const y = g.op("Relu", [g.op("Conv", [x, w, b], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] })]);
  const out = o.pooled ? g.op("Flatten", [g.op("GlobalAveragePool", [y])], { axis: 1 }) : y;
  const side = Math.floor((size + 2 * pad - k) / stride) + 1;
  g.output(out, { type: "float32", dims: o.pooled ? [o.batchOne ? 1 : "batch", c] : [o.batchOne ? 1 : "batch", c, side, side] }, "features");
  return g.toBytes("vitrine test backbone");
}

/** The JSON a shop would write for the test backbone. */
export function testBackboneJson(o: TestBackboneOptions = {}): Record<string, unknown> {
  return {
    input: { size: o.size ?? 16, layout: "NCHW", channels: "RGB", scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    output: { name: "features", kind: o.pooled ? "pooled" : "featureMap" },
    ...o.json,
  };
}

/** Write `<base>.onnx` and `<base>.json`; returns the .onnx path. */
export async function writeTestBackbone(base: string, o: TestBackboneOptions = {}): Promise<string> {
  await writeFile(`${base}.onnx`, testBackboneBytes(o));
  await writeFile(`${base}.json`, JSON.stringify(testBackboneJson(o), null, 2));
  return `${base}.onnx`;
}
