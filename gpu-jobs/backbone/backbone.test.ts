import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackboneError, describeBackbone, openImageBackbone, type BackboneRecord, type ImageBackbone } from "../../encoders/index.ts";
import { imageMaskOf, inputShapeOf, loadTrainingData } from "../data/index.ts";
import { resolveConfig } from "../model/config.ts";
import { exportGraphs } from "../onnx/index.ts";
import { perturbedTinyModel } from "../onnx/test-support.ts";
import { selectBackend } from "../tf/backend.ts";
import { makeTrainingCatalog } from "../train/test-catalog.ts";
import { attachBackboneFeatures } from "./attach-features.ts";
import { prepareBackbone, resolveBackbone } from "./prepare.ts";
import { testBackboneJson, writeTestBackbone } from "./test-backbone.ts";

let dir: string;
let dataDir: string;
let bbFile: string;
let record: BackboneRecord;
const ITEMS = 24;
const BROKEN = 2; // the last two images are corrupt: text-only from the import on

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-bb-"));
  dataDir = await makeTrainingCatalog(dir, ITEMS, BROKEN);
  bbFile = await writeTestBackbone(join(dir, "bb"));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// makeTrainingCatalog's solid colour of item i: a 32×32 square resizes to the same colour at 16×16.
const colour = (i: number) => [(i * 37) % 255, (i * 91) % 255, (i * 53) % 255];

describe("backbone features", () => {
  it("are computed once per image through sharp + the JSON's preprocessing, then read from the cache without a session", async () => {
    const data = await loadTrainingData(dataDir);
    const desc = await describeBackbone(bbFile, data.items.grid);
    let first: ImageBackbone | null = null;
    const r1 = await attachBackboneFeatures(dataDir, data.items, desc, { onOpen: (b) => void (first = b) });
    expect({ computed: r1.computed, cached: r1.cached, failed: r1.failed }).toEqual({ computed: ITEMS - BROKEN, cached: 0, failed: 0 });
    expect(r1.runs).toBe(Math.ceil((ITEMS - BROKEN) / 16));
    expect((first as ImageBackbone | null)?.runs).toBe(r1.runs);
    expect([r1.record.tokens, r1.record.featureDim, r1.record.id]).toEqual([16, 6, desc.id]);
    record = r1.record;
    const f = data.items.features!;
    // Item 5's features are the backbone's on its colour, as a 16×16 image built here.
    const direct = await openImageBackbone(desc);
    const img = new Uint8Array(16 * 16 * 3).map((_, i) => colour(5)[i % 3]!);
    const want = (await direct.features([img])).values[0]!;
    await direct.release();
    const got = f.values.subarray(5 * 96, 6 * 96);
    for (let i = 0; i < 96; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    // Text-only items: zeros, and masked.
    const shape = inputShapeOf(resolveConfig("tiny", { backbone: record }));
    expect(Array.from(imageMaskOf(data.items, Int32Array.of(0, ITEMS - 1), shape))).toEqual([1, 0]);
    expect(f.values.subarray((ITEMS - 1) * 96).every((v) => v === 0)).toBe(true);

    const again = await loadTrainingData(dataDir);
    let opened = 0;
    const r2 = await attachBackboneFeatures(dataDir, again.items, await describeBackbone(bbFile, again.items.grid), { onOpen: () => void opened++ });
    expect({ computed: r2.computed, cached: r2.cached, runs: r2.runs, opened }).toEqual({ computed: 0, cached: ITEMS - BROKEN, runs: 0, opened: 0 });
    expect(Array.from(again.items.features!.values)).toEqual(Array.from(f.values));
  }, 120_000);

  it("come from the import's originals when the catalog's files are gone", async () => {
    const other = await writeTestBackbone(join(dir, "moved-away"), { seed: 6 });
    await rename(join(dir, "img"), join(dir, "img-away"));
    try {
      const data = await loadTrainingData(dataDir);
      const r = await attachBackboneFeatures(dataDir, data.items, await describeBackbone(other, 4));
      expect([r.computed, r.failed]).toEqual([ITEMS - BROKEN, 0]);
    } finally {
      await rename(join(dir, "img-away"), join(dir, "img"));
    }
  }, 120_000);

  it("leave an item whose image cannot be read again text-only for that backbone, and say so", async () => {
    const other = await writeTestBackbone(join(dir, "other"), { seed: 5 });
    // Gone from the catalog's folder and from the import's originals.
    const key = createHash("sha256")
      .update(await readFile(join(dir, "img", "3.png")))
      .digest("hex");
    await rm(join(dataDir, "cache", "images", "originals", key));
    await rm(join(dir, "img", "3.png"));
    try {
      const data = await loadTrainingData(dataDir);
      const lines: string[] = [];
      const r = await attachBackboneFeatures(dataDir, data.items, await describeBackbone(other, 4), { log: (m) => lines.push(m) });
      expect([r.computed, r.failed]).toEqual([ITEMS - BROKEN - 1, 1]);
      expect(lines.join("\n")).toMatch(/1 image\(s\) could not be read again; .*img\/3\.png: file not found/);
      expect(data.items.features!.missing[3]).toBe(1);
      expect(data.items.textOnly[3]).toBe(false); // the patch CNN still has the imported thumbnail
      const shape = { tokens: 16, dim: 6, backbone: r.record.id, grid: 4 };
      expect(Array.from(imageMaskOf(data.items, Int32Array.of(2, 3), shape))).toEqual([1, 0]);
    } finally {
      const sharp = (await import("sharp")).default;
      const [r, g, b] = colour(3);
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: r!, g: g!, b: b! } } })
        .png()
        .toFile(join(dir, "img", "3.png"));
    }
  }, 120_000);
});

describe("which backbone a job uses", () => {
  const what = "the run in R";
  it("refuses a backbone for a run trained without one, another model, and the same model with another JSON", async () => {
    await expect(resolveBackbone({ recorded: null, given: bbFile, grid: 4, what })).rejects.toMatchObject({ code: "BACKBONE_MISMATCH", kind: "conflict" });
    await expect(resolveBackbone({ recorded: null, given: bbFile, grid: 4, what })).rejects.toThrow(/the run in R was trained without an image encoder .*drop --image-encoder/);
    expect(await resolveBackbone({ recorded: null, grid: 4, what })).toBeNull();
    expect(await resolveBackbone({ recorded: undefined, grid: 4, what })).toBeNull();
    const other = await writeTestBackbone(join(dir, "seed9"), { seed: 9 });
    await expect(resolveBackbone({ recorded: record, given: other, grid: 4, what })).rejects.toThrow(/trained with image encoder .*bb\.onnx .*seed9\.onnx is another model/);
    await copyFile(bbFile, join(dir, "rejson.onnx"));
    await writeFile(join(dir, "rejson.json"), JSON.stringify({ ...testBackboneJson(), input: { ...(testBackboneJson().input as object), std: [1, 1, 1] } }));
    await expect(resolveBackbone({ recorded: record, given: join(dir, "rejson.onnx"), grid: 4, what })).rejects.toThrow(/the same model, but its JSON .* differs/);
    // The same two files elsewhere are the same backbone.
    await copyFile(bbFile, join(dir, "moved.onnx"));
    await copyFile(join(dir, "bb.json"), join(dir, "moved.json"));
    expect((await resolveBackbone({ recorded: record, given: join(dir, "moved.onnx"), grid: 4, what }))?.id).toBe(record.id);
  });

  it("uses the recorded file; when it is gone, cached features still serve and a miss asks for --image-encoder", async () => {
    const gone = { ...record, file: join(dir, "gone.onnx") };
    const data = await loadTrainingData(dataDir);
    const r = await prepareBackbone(dataDir, data.items, { recorded: gone, grid: 4, what });
    expect([r?.computed, r?.cached]).toEqual([0, ITEMS - BROKEN]);
    const uncached = { ...gone, id: "0123456789abcdef" };
    const e = await prepareBackbone(dataDir, data.items, { recorded: uncached, grid: 4, what }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackboneError);
    expect(e).toMatchObject({ code: "BACKBONE_MISSING", kind: "missing" });
    expect((e as Error).message).toMatch(/gone\.onnx .*which is not there, and some images have no cached features; pass that model with --image-encoder PATH/);
  }, 60_000);
});

describe("the item tower on backbone features", () => {
  it("exports with parity for fusion and concat: item.onnx takes the features", async () => {
    await selectBackend({ prefer: "wasm" });
    const fake: BackboneRecord = { ...record, tokens: 9, featureDim: 20 };
    const before = tf.memory().numTensors;
    for (const fusion of ["fusion", "concat"] as const) {
      const model = perturbedTinyModel({ fusion, backbone: fake });
      try {
        expect(model.config.patchEncoder).toBe("backbone");
        expect(model.variables.get("patch.backbone.w")?.shape).toEqual([20, 32]);
        expect(model.variables.has("patch.conv1.w")).toBe(false);
        const { parity } = await exportGraphs(model, { parity: { samples: 32 } });
        expect(parity.item.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      } finally {
        model.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
