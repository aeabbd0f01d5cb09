// The patch CNN (model/patch-encoder.ts) as ONNX nodes: TF.js runs NHWC, ONNX Conv runs NCHW,
// so the input is transposed once, filters are stored as [out,in,kh,kw], and the result is
// transposed back to NHWC before flattening so the projection sees TF.js's element order.
// With a backbone the input already holds its features [B,P,C]: one MatMul + Add to the width.
import type { ModelConfig } from "../model/config.ts";
import { numPatches } from "../model/config.ts";
import { cnnFlatDim } from "../model/patch-encoder.ts";
import type { OpContext, Weight } from "./graph-ops.ts";
import { dense } from "./graph-ops.ts";

/** TF conv filter [kh,kw,in,out] → ONNX [out,in,kh,kw]. */
export function filterToOihw(w: Weight): Weight {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = w.values[((y * kw + x) * ci + i) * co + o]!;
  return { shape: [co, ci, kh, kw], values: out };
}

/** The patch encoder's outputs as graph values. */
export interface PatchGraphOutputs {
  /** [B,P,H] one feature per patch. */
  feats: string;
  /** [B,1,H] the whole-image token (globalToken), else null. */
  global: string | null;
}

/** patches [B,P,S²·3] (HWC per patch), or backbone features [B,P,C] → patch features [B,P,H] (and the whole-image token). */
export function patchFeatures(c: OpContext, cfg: ModelConfig, patches: string): PatchGraphOutputs {
  if (cfg.patchEncoder === "backbone") return { feats: dense(c, patches, "patch.backbone.w", "patch.backbone.b"), global: null };
  const g = c.g;
  const s = cfg.patchSize;
  const conv = (x: string, name: string) => {
    const w = c.derived(`${name}.w[OIHW]`, () => filterToOihw(c.weight(`${name}.w`)));
    const y = g.op("Conv", [x, w, c.param(`${name}.b`)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
    return g.op("AveragePool", [g.op("Relu", [y])], { kernel_shape: [2, 2], strides: [2, 2] });
  };
  const nhwc = g.op("Reshape", [patches, g.ints([-1, s, s, 3])]);
  let h = g.op("Transpose", [nhwc], { perm: [0, 3, 1, 2] });
  for (let i = 1; i <= cfg.cnnChannels.length; i++) h = conv(h, `patch.conv${i}`);
  const flat = g.op("Reshape", [g.op("Transpose", [h], { perm: [0, 2, 3, 1] }), g.ints([-1, cnnFlatDim(cfg)])]);
  const out = dense(c, flat, "patch.proj.w", "patch.proj.b");
  const feats = g.op("Reshape", [out, g.ints([-1, numPatches(cfg), cfg.hidden])]);
  if (!cfg.globalToken) return { feats, global: null };
  // Row-major [B·P,F] → [B,P·F]: every patch's map side by side, as model/patch-encoder.ts reshapes it.
  const whole = dense(c, g.op("Reshape", [flat, g.ints([-1, numPatches(cfg) * cnnFlatDim(cfg)])]), "patch.global.w", "patch.global.b");
  return { feats, global: g.op("Reshape", [whole, g.ints([-1, 1, cfg.hidden])]) };
}
