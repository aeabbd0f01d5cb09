import { describe, expect, it } from "vitest";
import { resolveConfig } from "../model/config.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";

describe("vision options of the pre-training config", () => {
  it("leaves them absent by default, so earlier runs' configs still match; the cpu preset's grid is written out", () => {
    const c = resolvePretrainConfig("tiny");
    expect("stage1" in c || "patchGrid" in c || "cnnChannels" in c || "titleDropout" in c || "globalToken" in c || "globalWeight" in c || "imageContrast" in c).toBe(false);
    // The cpu preset's 1×1 grid and 768 steps are recorded in the config, so a run of the 4×4 era (absent: 4) never matches it.
    expect(resolvePretrainConfig("cpu")).toMatchObject({ patchGrid: 1, steps: 768 });
    expect(resolvePretrainConfig("cpu", { fusion: "concat" }).patchGrid).toBe(1);
    expect("patchGrid" in resolvePretrainConfig("cpu", { fusion: "text" })).toBe(false);
    expect(resolvePretrainConfig("cpu", { patchGrid: 4 }).patchGrid).toBe(4);
    expect("patchGrid" in resolvePretrainConfig("base")).toBe(false);
    expect(resolvePretrainConfig("cpu", { titleDropout: 0.3 }).titleDropout).toBe(0.3);
    expect(resolvePretrainConfig("cpu", { stage1: "classify", stage1Fraction: 0.2, patchGrid: 8, cnnChannels: [8, 16, 32] })).toMatchObject({
      stage1: "classify",
      patchGrid: 8,
      cnnChannels: [8, 16, 32],
    });
  });

  it("refuses impossible combinations, naming the field and the fix", () => {
    const bad = (o: Parameters<typeof resolvePretrainConfig>[1]) => () => resolvePretrainConfig("cpu", o);
    expect(bad({ stage1: "classify" })).toThrow(/stage1 classify needs stage-1 steps: give stage1Fraction > 0/);
    expect(bad({ stage1: "classify", stage1Fraction: 0.2, fusion: "text" })).toThrow(/stage1 classify trains the image side/);
    expect(bad({ stage1: "nope" as "align" })).toThrow(/stage1 must be align, classify, contrast/);
    expect(bad({ stage1: "contrast" })).toThrow(/stage1 contrast needs stage-1 steps: give stage1Fraction > 0/);
    expect(bad({ stage1: "contrast", stage1Fraction: 0.2, fusion: "text" })).toThrow(/stage1 contrast trains the image side/);
    expect(bad({ imageContrast: -0.1 })).toThrow(/imageContrast must be a weight in \[0, 10\]/);
    expect(bad({ imageContrast: 0.5, fusion: "text" })).toThrow(/imageContrast trains the image side: use fusion fusion or concat/);
    expect(bad({ patchGrid: 0 })).toThrow(/patchGrid must be a whole number ≥ 1/);
    expect(bad({ cnnChannels: [] })).toThrow(/cnnChannels must be 1 to 4 channel counts/);
    expect(bad({ cnnChannels: [8, 8, 8, 8, 8] })).toThrow(/cnnChannels must be 1 to 4/);
    expect(bad({ patchGrid: 8, fusion: "text" })).toThrow(/patchGrid shapes the image side/);
    expect(bad({ globalToken: true, fusion: "text" })).toThrow(/globalToken adds an image token: use fusion fusion or concat, not text/);
    expect(bad({ globalToken: 1 as never })).toThrow(/globalToken must be true or false/);
    expect(bad({ globalWeight: 0.5, patchGrid: 4 })).toThrow(/globalWeight weights the whole-image token: add --global-token/);
    expect(bad({ globalToken: true })).toThrow(/globalToken adds a whole-image token beside the patches, and a 1×1 grid's one patch is the whole image already: add --patch-grid 4/);
    expect(resolvePretrainConfig("cpu", { globalToken: true, patchGrid: 4 }).globalToken).toBe(true);
    expect(bad({ globalToken: true, patchGrid: 4, globalWeight: 1 })).toThrow(/globalWeight must be in \(0, 1\)/);
    expect(bad({ globalToken: true, patchGrid: 4, globalWeight: 0 })).toThrow(/globalWeight must be in \(0, 1\)/);
    expect(bad({ globalToken: true, patchGrid: 4, globalWeight: 0.5, fusion: "concat" })).toThrow(/globalWeight weights the fused image summary: use fusion fusion/);
    expect(bad({ titleDropout: 1 })).toThrow(/titleDropout must be in \[0, 1\)/);
    expect(bad({ titleDropout: 0.3, fusion: "text" })).toThrow(/titleDropout blanks titles for the image side to carry: use fusion fusion or concat/);
  });

  it("model config: a CNN must be able to halve the patch side once per layer", () => {
    expect(resolveConfig("tiny", { patchSize: 8, patchGrid: 8 }).cnnChannels).toEqual([4, 8]);
    expect(() => resolveConfig("tiny", { patchSize: 12, cnnChannels: [4, 8, 8] })).toThrow(/patchSize must be a multiple of 8 for a 3-layer CNN/);
    expect(() => resolveConfig("tiny", { patchSize: 6 })).toThrow(/patchSize must be a multiple of 4 for a 2-layer CNN/);
    expect(resolveConfig("tiny", { patchSize: 6, cnnChannels: [4] }).cnnChannels).toEqual([4]);
  });
});
