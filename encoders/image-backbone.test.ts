import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackboneJson, writeTestBackbone } from "../gpu-jobs/backbone/test-backbone.ts";
import { BackboneError, describeBackbone, openImageBackbone, parseBackboneSpec, pixelsToInput, poolFeatureMap, type BackboneSpec } from "./index.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-backbone-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (over: Record<string, unknown> = {}): string => JSON.stringify({ ...testBackboneJson(), ...over });
const parseError = (text: string): BackboneError => {
  try {
    parseBackboneSpec(text, "m.json");
  } catch (e) {
    return e as BackboneError;
  }
  throw new Error("parsed");
};

describe("the backbone JSON", () => {
  it("fills defaults: scale 255, mean 0, std 1, output layout NCHW", () => {
    const s = parseBackboneSpec(JSON.stringify({ input: { size: 224, layout: "NCHW", channels: "RGB" }, output: { kind: "pooled" } }), "m.json");
    expect(s.input).toMatchObject({ size: 224, scale: 255, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(s.output).toEqual({ kind: "pooled", layout: "NCHW" });
  });

  it("names the field and the fix for each mistake", () => {
    const cases: [string, RegExp][] = [
      ["{ not json", /m\.json is not valid JSON/],
      ["[]", /the file must be an object: one JSON object \{ input/],
      [spec({ output: undefined }), /output is missing: \{ "name": "features", "kind"/],
      [spec({ input: { layout: "NCHW", channels: "RGB" } }), /input\.size is missing; it must be a whole number: the model's input side in pixels/],
      [spec({ input: { size: 22.5, layout: "NCHW", channels: "RGB" } }), /input\.size must be a whole number/],
      [spec({ input: { size: 224, layout: "CHW", channels: "RGB" } }), /input\.layout must be "NCHW".*or "NHWC"/],
      [spec({ input: { size: 224, layout: "NCHW", channels: "RGBA" } }), /input\.channels must be "RGB" or "BGR"/],
      [spec({ input: { size: 224, layout: "NCHW", channels: "RGB", mean: [0.5, 0.5] } }), /input\.mean must have 3 values/],
      [spec({ input: { size: 224, layout: "NCHW", channels: "RGB", std: [0.2, 0, 0.2] } }), /input\.std values must be > 0/],
      [spec({ input: { size: 224, layout: "NCHW", channels: "RGB", scale: 0 } }), /input\.scale must be > 0/],
      [spec({ input: { size: 224, layout: "NCHW", channels: "RGB", men: [0, 0, 0] } }), /unknown field "men" in input; it takes name, size, layout, channels, scale, mean, std/],
      [spec({ output: { kind: "map" } }), /output\.kind must be "featureMap".*or "pooled"/],
    ];
    for (const [text, message] of cases) {
      const e = parseError(text);
      expect(e, text).toBeInstanceOf(BackboneError);
      expect(e.code).toBe("BAD_BACKBONE");
      expect(e.kind).toBe("input");
      expect(e.message, text).toMatch(message);
      expect(e.message).toContain("gpu-jobs/README.md");
    }
  });

  it("refuses a missing model, a missing JSON and a file that is not .onnx", async () => {
    await expect(describeBackbone(join(dir, "none.onnx"), 4)).rejects.toMatchObject({ code: "BACKBONE_MISSING", kind: "missing" });
    await writeFile(join(dir, "lonely.onnx"), "x");
    await expect(describeBackbone(join(dir, "lonely.onnx"), 4)).rejects.toThrow(/lonely\.json is missing: write the backbone's input size/);
    await expect(describeBackbone(join(dir, "lonely.json"), 4)).rejects.toThrow(/must name an \.onnx file/);
  });

  it("hashes the model, the JSON and the grid into the features id", async () => {
    const a = await describeBackbone(await writeTestBackbone(join(dir, "a")), 4);
    const again = await describeBackbone(join(dir, "a.onnx"), 4);
    const otherGrid = await describeBackbone(join(dir, "a.onnx"), 2);
    const b = await describeBackbone(await writeTestBackbone(join(dir, "b"), { seed: 9 }), 4);
    const c = await describeBackbone(await writeTestBackbone(join(dir, "c"), { json: { input: { ...(testBackboneJson().input as object), mean: [0.5, 0.5, 0.5] } } }), 4);
    expect(again.id).toBe(a.id);
    expect(new Set([a.id, otherGrid.id, b.id, c.id]).size).toBe(4);
    expect(c.sha256).toBe(a.sha256);
  });
});

describe("preprocessing apart from the model", () => {
  const base = parseBackboneSpec(spec(), "m.json");
  const withInput = (over: Partial<BackboneSpec["input"]>): BackboneSpec => ({ ...base, input: { ...base.input, ...over } });
  // 2×2 image: pixel p has RGB (10p, 10p+1, 10p+2).
  const rgb = Uint8Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));

  it("scales, normalises per channel and lays out NCHW, NHWC and BGR", () => {
    const plain = withInput({ size: 2, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(Array.from(pixelsToInput(rgb, plain))).toEqual([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
    expect(Array.from(pixelsToInput(rgb, withInput({ size: 2, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: "NHWC" })))).toEqual(Array.from(rgb));
    expect(Array.from(pixelsToInput(rgb, withInput({ size: 2, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], channels: "BGR" }))).slice(0, 4)).toEqual([2, 12, 22, 32]);
    const norm = pixelsToInput(rgb, withInput({ size: 2, scale: 10, mean: [1, 0, 0], std: [2, 1, 1] }));
    expect(norm[1]).toBeCloseTo((10 / 10 - 1) / 2, 6);
    expect(norm[3]).toBeCloseTo((30 / 10 - 1) / 2, 6);
  });

  it("pools a feature map to the grid with adaptive average bins", () => {
    // One channel, 3×3 map 0..8 → 2×2: bins rows/cols [0,2) and [1,3).
    const map = Float32Array.from({ length: 9 }, (_, i) => i);
    expect(Array.from(poolFeatureMap(map, { c: 1, h: 3, w: 3 }, "NCHW", 2))).toEqual([(0 + 1 + 3 + 4) / 4, (1 + 2 + 4 + 5) / 4, (3 + 4 + 6 + 7) / 4, (4 + 5 + 7 + 8) / 4]);
    // A map no larger than the grid is kept as is (tokens in row-major order, channels last).
    const two = Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]); // NCHW [2,2,2]
    expect(Array.from(poolFeatureMap(two, { c: 2, h: 2, w: 2 }, "NCHW", 4))).toEqual([1, 10, 2, 20, 3, 30, 4, 40]);
    expect(Array.from(poolFeatureMap(Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]), { c: 2, h: 2, w: 2 }, "NHWC", 4))).toEqual([1, 10, 2, 20, 3, 30, 4, 40]);
  });
});

describe("the backbone session", () => {
  const image = (seed: number) => Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 7 + seed * 31) % 256);

  it("gives patch tokens or a pooled vector, the same with a fixed batch of 1, and counts its runs", async () => {
    const map = await openImageBackbone(await describeBackbone(await writeTestBackbone(join(dir, "map")), 4));
    const pooled = await openImageBackbone(await describeBackbone(await writeTestBackbone(join(dir, "pooled"), { pooled: true }), 4));
    const one = await openImageBackbone(await describeBackbone(await writeTestBackbone(join(dir, "one"), { batchOne: true }), 4));
    try {
      const imgs = [image(1), image(2), image(3)];
      const m = await map.features(imgs);
      expect([m.tokens, m.dim, m.values.length, map.runs, map.batch]).toEqual([16, 6, 3, 1, 16]);
      const p = await pooled.features(imgs);
      expect([p.tokens, p.dim]).toEqual([1, 6]);
      // GlobalAveragePool of the 4×4 map = the mean of its 16 tokens.
      for (let i = 0; i < 3; i++) {
        for (let c = 0; c < 6; c++) {
          let sum = 0;
          for (let t = 0; t < 16; t++) sum += m.values[i]![t * 6 + c]!;
          expect(p.values[i]![c]).toBeCloseTo(sum / 16, 5);
        }
      }
      const o = await one.features(imgs);
      expect([one.batch, one.runs]).toEqual([1, 3]);
      for (let i = 0; i < 3; i++) expect(Array.from(o.values[i]!)).toEqual(Array.from(m.values[i]!));
      // The grid caps tokens: grid 2 pools the 4×4 map to 2×2.
      const coarse = await openImageBackbone(await describeBackbone(join(dir, "map.onnx"), 2));
      expect((await coarse.features([image(1)])).tokens).toBe(4);
      await coarse.release();
    } finally {
      await Promise.all([map.release(), pooled.release(), one.release()]);
    }
  });

  it("checks the model against its JSON: input size, layout, names and output kind", async () => {
    const open = async (base: string, json: Record<string, unknown>) => openImageBackbone(await describeBackbone(await writeTestBackbone(join(dir, base), { json }), 4));
    const input = testBackboneJson().input as Record<string, unknown>;
    await expect(open("size", { input: { ...input, size: 32 } })).rejects.toThrow(/input\.size is 32 but .*size\.onnx's input "pixels" is \[batch,3,16,16\].*set input\.size to 16/);
    await expect(open("layout", { input: { ...input, layout: "NHWC" } })).rejects.toThrow(/input\.layout is "NHWC" but .*set input\.layout to "NCHW"/);
    await expect(open("inname", { input: { ...input, name: "image" } })).rejects.toThrow(/input\.name "image" is not an input of .*its inputs are: pixels/);
    await expect(open("outname", { output: { name: "logits", kind: "featureMap" } })).rejects.toThrow(/output\.name "logits" is not an output .*its outputs are: features/);
    const pooledAsMap = await openImageBackbone(await describeBackbone(await writeTestBackbone(join(dir, "kind"), { pooled: true, json: { output: { name: "features", kind: "featureMap" } } }), 4));
    await expect(pooledAsMap.features([image(1)])).rejects.toThrow(/output\.kind is "featureMap" but .*\[1,6\]: set output\.kind to "pooled"/);
    await pooledAsMap.release();
  });
});
