// The item encoder as an ONNX graph: title_tokens [batch, maxTitleLen], patches [batch, P, S²·3],
// image_mask [batch] → vector [batch, dim], mirroring towers.ts encodeItem for every fusion
// variant (inference only: no dropout, no masked patches). Every variant takes all three inputs
// so `vitrine embed` feeds one signature; "text" ignores the image ones.
import type { ModelConfig } from "../model/config.ts";
import { numImageTokens, numPatches, patchInputDim } from "../model/config.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { dense, encoder, expandToBatch, l2norm, layerNorm, maskedMean, OpContext, sliceAxis1 } from "./graph-ops.ts";
import type { WeightMap } from "./graph-ops.ts";
import type { GraphExportOptions } from "./export-query.ts";
import { patchFeatures } from "./patch-graph.ts";
import { clsOf, embedTokens, ITEM_TEXT, textZ } from "./text-side.ts";

/** Build the item graph from a model config and its weights; returns ModelProto bytes. */
export function buildItemGraph(cfg: ModelConfig, weights: WeightMap, opts: GraphExportOptions = {}): Uint8Array {
  const tokenType = opts.tokenType ?? "int32";
  const c = new OpContext(new GraphBuilder("vitrine_item"), weights);
  const g = c.g;
  const lt = cfg.maxTitleLen;
  const P = numPatches(cfg);
  const h = cfg.hidden;
  const tokens = g.input({ name: "title_tokens", type: tokenType, dims: ["batch", lt] });
  // With a backbone, "patches" takes its features (the backbone runs apart, its features cached per image).
  const patches = g.input({ name: "patches", type: "float32", dims: ["batch", P, patchInputDim(cfg)] });
  const imageMask = g.input({ name: "image_mask", type: "float32", dims: ["batch"] });
  const t = embedTokens(c, cfg, tokens, tokenType, lt, ITEM_TEXT.pos);
  const im = g.op("Unsqueeze", [imageMask, g.ints([1])]); // [B,1]
  let vector: string;
  if (cfg.fusion === "fusion") {
    const { feats, global } = patchFeatures(c, cfg, patches);
    const n = numImageTokens(cfg);
    // [SEP] = sep + pos[lt+1] + text modality, in towers.ts's order of additions.
    const sep = g.op("Add", [g.op("Add", [c.param("emb.sep"), c.rows("emb.pos", lt + 1, 1)]), c.rows("emb.modality", 0, 1)]);
    const sepTok = expandToBatch(c, g.op("Unsqueeze", [sep, g.ints([0])]), tokens, [1, h]);
    const patchTok = g.op("Add", [g.op("Add", [feats, c.param("emb.patch_pos")]), c.rows("emb.modality", 1, 1)]);
    const imageSeq = global ? [patchTok, g.op("Add", [g.op("Add", [global, c.param("emb.global_pos")]), c.rows("emb.modality", 1, 1)])] : [patchTok];
    const seq = layerNorm(c, g.op("Concat", [t.embedded, sepTok, ...imageSeq], { axis: 1 }), "emb.ln.g", "emb.ln.b");
    const mask = g.op("Concat", [t.ones, t.textMask, im, g.op("Tile", [im, g.ints([1, n])])], { axis: 1 });
    const states = encoder(c, seq, mask, ITEM_TEXT.encoder, cfg);
    const tMean = maskedMean(c, sliceAxis1(c, states, 1, lt + 1), t.textMask);
    const vMean = imageSummary(c, sliceAxis1(c, states, lt + 2, lt + 2 + n), P, cfg.globalWeight ?? null);
    const gate = cfg.modalGate ? g.op("Sigmoid", [dense(c, g.op("Concat", [tMean, vMean], { axis: 1 }), "gate.w", "gate.b")]) : g.scalar(0.5);
    const one = g.scalar(1);
    const gEff = g.op("Sub", [one, g.op("Mul", [im, g.op("Sub", [one, gate])])]); // text-only items: exactly 1
    const mix = g.op("Add", [g.op("Mul", [gEff, tMean]), g.op("Mul", [g.op("Sub", [one, gEff]), vMean])]);
    const z = g.op("Add", [clsOf(c, states, h), mix]);
    vector = l2norm(c, dense(c, z, ITEM_TEXT.projW, ITEM_TEXT.projB));
  } else {
    const { z } = textZ(c, cfg, ITEM_TEXT, t, lt);
    if (cfg.fusion === "concat") {
      const { feats, global } = patchFeatures(c, cfg, patches);
      const all = global ? g.op("Concat", [feats, global], { axis: 1 }) : feats;
      const imagePre = dense(c, g.op("ReduceMean", [all], { axes: [1], keepdims: 0 }), "image.proj.w", "image.proj.b");
      const joined = g.op("Concat", [z, g.op("Mul", [imagePre, im])], { axis: 1 });
      vector = l2norm(c, dense(c, joined, "concat.proj.w", "concat.proj.b"));
    } else {
      vector = l2norm(c, dense(c, z, ITEM_TEXT.projW, ITEM_TEXT.projB));
    }
  }
  g.output(vector, { type: "float32", dims: ["batch", cfg.dim] }, "vector");
  return g.toBytes(`vitrine item encoder (${cfg.fusion}, hidden ${h}, dim ${cfg.dim})`);
}

/** towers.ts imageSummary: the plain mean of image tokens [B,n,H], or (1 − w)·mean(patches) + w·the whole-image token. */
function imageSummary(c: OpContext, tokens: string, patches: number, w: number | null): string {
  const g = c.g;
  if (w === null) return g.op("ReduceMean", [tokens], { axes: [1], keepdims: 0 });
  const patchMean = g.op("ReduceMean", [sliceAxis1(c, tokens, 0, patches)], { axes: [1], keepdims: 0 });
  const token = g.op("ReduceMean", [sliceAxis1(c, tokens, patches, patches + 1)], { axes: [1], keepdims: 0 });
  return g.op("Add", [g.op("Mul", [patchMean, g.scalar(1 - w)]), g.op("Mul", [token, g.scalar(w)])]);
}
