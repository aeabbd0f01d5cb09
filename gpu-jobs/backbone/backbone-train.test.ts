import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEmbeddings } from "../../lancedb/index.ts";
import { embedCatalog } from "../embed/embed-catalog.ts";
import { readRunStatus, sameTraining } from "../eval/run-lookup.ts";
import { exportModel } from "../onnx/index.ts";
import { encodeItemVectors } from "../train/encode-all.ts";
import { runFinetune } from "../train/finetune.ts";
import { resolvePretrainConfig } from "../train/pretrain-config.ts";
import { runPretrain, type StepMetrics } from "../train/pretrain.ts";
import { makeTrainingCatalog } from "../train/test-catalog.ts";
import { writeTestBackbone } from "./test-backbone.ts";

let dir: string;
let dataDir: string;
let bbFile: string;
let otherFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-bb-train-"));
  dataDir = await makeTrainingCatalog(dir, 32, 2);
  bbFile = await writeTestBackbone(join(dir, "bb"));
  otherFile = await writeTestBackbone(join(dir, "other"), { seed: 8, pooled: true });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = resolvePretrainConfig("tiny", { steps: 8, batchSize: 16, checkpointEvery: 4, mbns: { enabled: false } });

describe("training on backbone features", () => {
  it("records the backbone, leaks no tensors per step, and embeds through item.onnx with the same features TF.js trained on", async () => {
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, config, backend: "wasm", imageEncoder: bbFile, onStep: (m) => metrics.push(m) });
    try {
      expect(r.modelConfig.patchEncoder).toBe("backbone");
      expect(r.modelConfig.backbone).toMatchObject({ file: bbFile, tokens: 16, featureDim: 6 });
      expect(r.model.variables.get("patch.backbone.w")?.shape).toEqual([6, r.modelConfig.hidden]);
      // After the first step (Adam's slots), the tensor count stays flat.
      const counts = metrics.slice(1).map((m) => m.tensors);
      expect(Math.max(...counts)).toBe(Math.min(...counts));
      expect(metrics.every((m) => Number.isFinite(m.loss))).toBe(true);
      // The run's config names the features: `eval --ablations` never takes it for a patch-CNN run.
      const status = await readRunStatus(join(dataDir, "runs", "pretrain"));
      expect(status?.config.imageEncoder).toBe(r.modelConfig.backbone!.id);
      expect(sameTraining(status!.config, config)).toBe(false);

      const exported = await exportModel({ runDir: join(dataDir, "runs", "pretrain"), outDir: join(dataDir, "model"), backend: "wasm", parity: { samples: 32 } });
      expect(exported.card.backbone?.id).toBe(r.modelConfig.backbone!.id);
      expect(exported.card.dims).toMatchObject({ patches: 16, patchDim: 6 });
      const tfVectors = encodeItemVectors(r.model, r.tokenizer, r.data.items);
      const e = await embedCatalog({ dataDir, batchSize: 16, resume: false });
      expect(e.imageFeatures).toEqual({ cached: 30, computed: 0, failed: 0 });
      expect(e.textOnly).toBe(2);
      const dim = r.modelConfig.dim;
      let maxDiff = 0;
      const row = new Map(r.data.items.ids.map((id, i) => [id, i]));
      for await (const v of readEmbeddings(dataDir)) {
        const i = row.get(v.id)!;
        for (let d = 0; d < dim; d++) maxDiff = Math.max(maxDiff, Math.abs(v.vector[d]! - tfVectors[i * dim + d]!));
      }
      expect(maxDiff).toBeLessThan(1e-4);
      const card = JSON.parse(await readFile(join(dataDir, "model", "model.json"), "utf8"));
      expect(card.graphs.item.inputs.patches).toMatch(/features of the image backbone .*bb\.onnx/);
    } finally {
      r.model.dispose();
    }
  }, 300_000);

  it("refuses another backbone when resuming, fine-tuning or embedding, and a backbone with the text-only variant", async () => {
    const runDir = join(dataDir, "runs", "pretrain");
    await expect(runPretrain({ dataDir, config, backend: "wasm", resume: true, imageEncoder: otherFile })).rejects.toMatchObject({ code: "BACKBONE_MISMATCH" });
    await expect(runFinetune({ dataDir, steps: 2, batchSize: 16, negatives: 16, backend: "wasm", imageEncoder: otherFile })).rejects.toThrow(
      new RegExp(`the run in ${runDir} was trained with image encoder .*bb\\.onnx.*other\\.onnx is another model`),
    );
    await expect(embedCatalog({ dataDir, imageEncoder: otherFile })).rejects.toThrow(/the model in .*model was trained with image encoder .*bb\.onnx/);
    await expect(runPretrain({ dataDir, runDir: join(dir, "text"), config: { ...config, fusion: "text" }, backend: "wasm", imageEncoder: bbFile })).rejects.toThrow(
      /--image-encoder needs an image side/,
    );
    // A grid the caller asks for is refused (the backbone's JSON declares it); the cpu preset's own 1×1 grid is not asked for.
    const cpu = resolvePretrainConfig("cpu", { steps: 1, batchSize: 16, checkpointEvery: 1, workers: 1, mbns: { enabled: false } });
    await expect(runPretrain({ dataDir, runDir: join(dir, "grid2"), config: { ...cpu, patchGrid: 2 }, backend: "wasm", imageEncoder: bbFile })).rejects.toThrow(
      /--image-encoder replaces the patch CNN: drop --patch-grid/,
    );
    const onCpu = await runPretrain({ dataDir, runDir: join(dir, "cpu"), config: cpu, backend: "wasm", imageEncoder: bbFile });
    onCpu.model.dispose();
    expect(onCpu.modelConfig).toMatchObject({ patchEncoder: "backbone", patchGrid: 4 });
    expect((await readRunStatus(join(dir, "cpu")))?.config.patchGrid).toBeUndefined();
    // Fine-tuning on top picks the recorded backbone up by itself.
    const ft = await runFinetune({ dataDir, steps: 2, batchSize: 16, negatives: 16, backend: "wasm" });
    expect(ft.steps).toBe(2);
  }, 300_000);
});
