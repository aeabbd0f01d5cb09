// Issue #17's image-side shapes end to end on the tiny preset: 96px thumbnails from the import, an
// 8×8 patch grid and a 3-layer CNN chosen at pre-training, each recorded in the run's configs,
// exported with ONNX parity, and fed to item.onnx the way `vitrine embed` feeds it (the import's
// grid is 4; the model's tokens decide the cut). Impossible shapes fail before any step, naming the flag.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageInputOf, imageMaskOf, inputShapeOf, loadTrainingData, patchesOf } from "../data/index.ts";
import { exportModel, type ModelCard } from "../onnx/index.ts";
import { loadLatestCheckpoint } from "./checkpoint.ts";
import { resolvePretrainConfig, type PretrainOverrides } from "./pretrain-config.ts";
import type { JobState } from "./pretrain-loop.ts";
import { runPretrain } from "./pretrain.ts";
import { makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let data64: string;
let data96: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-vision-"));
  data64 = await makeTrainingCatalog(join(dir, "a"), 24);
  data96 = await makeTrainingCatalog(join(dir, "b"), 24, 0, 0, { imageSize: 96 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = (o: PretrainOverrides) => resolvePretrainConfig("tiny", { steps: 4, batchSize: 8, checkpointEvery: 4, workers: 1, ...o });

describe("thumbnail size, patch grid and CNN shape", () => {
  const cases = [
    { name: "96px thumbnails", data: () => data96, o: {}, want: { patchGrid: 4, patchSize: 24, cnnChannels: [4, 8] } },
    { name: "1×1 grid (the whole thumbnail, one patch)", data: () => data64, o: { patchGrid: 1 }, want: { patchGrid: 1, patchSize: 64, cnnChannels: [4, 8] } },
    {
      name: "4×4 grid + a whole-image token weighted ½",
      data: () => data64,
      o: { globalToken: true, globalWeight: 0.5 },
      want: { patchGrid: 4, patchSize: 16, cnnChannels: [4, 8], globalToken: true, globalWeight: 0.5 },
    },
    { name: "8×8 grid, 3-layer CNN", data: () => data64, o: { patchGrid: 8, cnnChannels: [4, 8, 8] }, want: { patchGrid: 8, patchSize: 8, cnnChannels: [4, 8, 8] } },
  ];
  for (const c of cases) {
    it(`${c.name}: trains, records its shape, exports with parity, and embeds with the model's grid`, async () => {
      const runDir = join(dir, `run-${c.want.patchGrid}-${c.want.patchSize}`);
      const r = await runPretrain({ dataDir: c.data(), runDir, config: tiny(c.o), backend: "wasm" });
      expect(r.modelConfig).toMatchObject(c.want);
      r.model.dispose();
      const ckpt = (await loadLatestCheckpoint<JobState>(runDir))!;
      expect(ckpt.state.modelConfig).toMatchObject(c.want);
      expect(ckpt.state.config).toMatchObject(c.o); // what `eval --ablations` matches runs on
      expect(ckpt.tensors.has(`patch.conv${c.want.cnnChannels.length}.w`)).toBe(true);

      const outDir = join(runDir, "model");
      const { card } = await exportModel({ runDir, outDir, parity: { samples: 32 } });
      expect(Math.max(card.parity.query.maxAbsDiff, card.parity.item.maxAbsDiff)).toBeLessThanOrEqual(1e-4);
      const written = JSON.parse(await readFile(join(outDir, "model.json"), "utf8")) as ModelCard;
      expect(written.dims).toMatchObject({ patches: c.want.patchGrid ** 2, patchSize: c.want.patchSize, patchDim: c.want.patchSize ** 2 * 3 });

      // What embed does: the card's dims with the import's grid (4) — the model's tokens decide the cut.
      const d = await loadTrainingData(c.data());
      const rows = Int32Array.from([0, 1, 2]);
      const shape = { tokens: written.dims.patches, dim: written.dims.patchDim, backbone: null, grid: d.items.grid };
      const fed = imageInputOf(d.items, rows, shape);
      expect(fed).toEqual(patchesOf(d.items, rows, c.want.patchGrid));
      expect(Array.from(imageMaskOf(d.items, rows, shape))).toEqual([1, 1, 1]);
      expect(inputShapeOf(ckpt.state.modelConfig).grid).toBe(c.want.patchGrid);
      const s = await ort.InferenceSession.create(join(outDir, "item.onnx"));
      const out = await s.run({
        title_tokens: new ort.Tensor("int32", new Int32Array(3 * written.dims.maxTitleLen), [3, written.dims.maxTitleLen]),
        patches: new ort.Tensor("float32", fed, [3, written.dims.patches, written.dims.patchDim]),
        image_mask: new ort.Tensor("float32", Float32Array.from([1, 1, 1]), [3]),
      });
      const v = out.vector!.data as Float32Array;
      expect(v).toHaveLength(3 * written.dims.dim);
      expect(v.every(Number.isFinite)).toBe(true);
      await s.release();
    }, 300_000);
  }

  it("a model's patches on an import of another size fail with the --image-size fix", async () => {
    const d = await loadTrainingData(data96);
    expect(() => imageInputOf(d.items, Int32Array.from([0]), { tokens: 16, dim: 16 * 16 * 3, backbone: null, grid: 4 })).toThrow(
      /the model takes 16 patches of 16×16 pixels \(64px thumbnails\), but the import made 96px thumbnails; re-import with --image-size 64/,
    );
  });

  it("refuses a grid or CNN the thumbnails cannot feed, before any step, naming the flag", async () => {
    const run = (o: PretrainOverrides, data = data64) => runPretrain({ dataDir: data, runDir: join(dir, "bad"), config: tiny(o), backend: "wasm" });
    const before = tf.memory().numTensors;
    await expect(run({ patchGrid: 5 })).rejects.toThrow(/--patch-grid 5 must divide the thumbnail side 64/);
    await expect(run({ patchGrid: 8, cnnChannels: [4, 8, 8, 8] })).rejects.toThrow(/8px patches, which a 4-layer CNN \(--cnn-channels\) cannot halve 4 times/);
    await expect(run({ patchGrid: 8, cnnChannels: [4, 8, 8] }, data96)).rejects.toThrow(/12px patches, which a 3-layer CNN/);
    await expect(run({ stage1: "classify", stage1Fraction: 0.5 })).rejects.toThrow(/--stage1 classify needs a catalog with categories/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
