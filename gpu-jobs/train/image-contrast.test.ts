// Image–image contrast (issue #17): a step's loss leaks no tensors and trains the image side, the
// views come only when the step learns from them, stage 1 "contrast" learns to pair the views, a
// 2-worker run resumes exactly (views drawn from (seed, step)) and exports with parity, and a run on
// a frozen backbone's features is refused before any step.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTestBackbone } from "../backbone/test-backbone.ts";
import { augmentedViews, loadTrainingData } from "../data/index.ts";
import { resolveConfig } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import { exportModel } from "../onnx/index.ts";
import { selectBackend } from "../tf/backend.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import { toTensors } from "./batch.ts";
import { loadLatestCheckpoint } from "./checkpoint.ts";
import { learnsImageContrast } from "./image-contrast.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";
import { pretrainLoss } from "./pretrain-loss.ts";
import { runPretrain, type StepMetrics } from "./pretrain.ts";
import { batchAt, makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let dataDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-contrast-"));
  dataDir = await makeTrainingCatalog(dir, 32, 0, 0, { categories: 4 });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("learnsImageContrast", () => {
  it("is on in stage 1 for --stage1 contrast and in stage 2 for a weight above 0, never for text-only", () => {
    const cfg = (o: Parameters<typeof resolvePretrainConfig>[1]) => resolvePretrainConfig("tiny", o);
    expect([1, 2].map((s) => learnsImageContrast(cfg({ stage1: "contrast", stage1Fraction: 0.2 }), s as 1 | 2))).toEqual([true, false]);
    expect([1, 2].map((s) => learnsImageContrast(cfg({ imageContrast: 0.5 }), s as 1 | 2))).toEqual([false, true]);
    expect([1, 2].map((s) => learnsImageContrast(cfg({ imageContrast: 0 }), s as 1 | 2))).toEqual([false, false]);
    expect(learnsImageContrast({ ...cfg({ imageContrast: 0.5 }), fusion: "text" }, 2)).toBe(false);
  });
});

describe("image–image contrast in the loss", () => {
  it("adds a contrast part in both stages that trains the patch CNN, and a step leaves no tensors behind", async () => {
    await selectBackend({ prefer: "wasm" });
    const data = await loadTrainingData(dataDir);
    const tokenizer = trainTokenizer(data.items.titles, { vocabSize: 64, minFreq: 1 });
    const cfg = resolvePretrainConfig("tiny", { batchSize: 8, stage1: "contrast", stage1Fraction: 0.5, imageContrast: 0.5 });
    const mc = resolveConfig("tiny", { vocabSize: tokenizer.vocabSize, dim: cfg.dim });
    const model = createModel(mc);
    const temperature = tf.variable(tf.scalar(0.1), true);
    const vars = [...model.variables.values(), temperature];
    const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
    const step = (k: number, stage: 1 | 2) => {
      const h = batchAt(data, tokenizer, mc, k, 8, cfg.maskRate);
      h.views = augmentedViews(data.items, h.items, mc.patchGrid, 1, k);
      const t = toTensors(h, mc);
      const { value, grads } = tf.variableGrads(() => {
        const r = pretrainLoss({ model, cfg, mpmTemperature: temperature, logQ, bank: null, crossDevice: null, stage }, t, h);
        expect(Object.keys(r.parts).sort()).toEqual(stage === 1 ? ["contrast", "mpm"] : ["contrast", "mlm", "mpm", "qic", "qim", "qim2"]);
        // Near ln 8 at the start: each view picks its twin among 8 images.
        expect(r.parts.contrast!.dataSync()[0]! / (stage === 1 ? 1 : 0.5)).toBeGreaterThan(0.5);
        tf.dispose([...Object.values(r.parts), r.itemVectors]);
        return r.total;
      }, vars);
      expect(grads[model.variables.get("patch.conv1.w")!.name]).toBeDefined();
      tf.dispose([value, ...Object.values(grads), ...Object.values(t)]);
    };
    step(0, 1);
    step(0, 2);
    const before = tf.memory().numTensors;
    for (let k = 1; k <= 6; k++) step(k, k % 2 ? 1 : 2);
    expect(tf.memory().numTensors).toBe(before);
    temperature.dispose();
    model.dispose();
  }, 120_000);
});

describe("training with image contrast", () => {
  it("stage 1 contrast learns to pair the views, with a flat tensor count", async () => {
    const config = resolvePretrainConfig("tiny", { steps: 40, batchSize: 16, lr: 5e-3, stage1: "contrast", stage1Fraction: 1, checkpointEvery: 1_000, workers: 1 });
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, runDir: join(dir, "alone"), config, backend: "wasm", onStep: (m) => metrics.push(m) });
    r.model.dispose();
    expect(metrics.every((m) => m.stage === 1 && m.parts.contrast !== undefined && m.parts.align === undefined && m.parts.qim === undefined)).toBe(true);
    const mean = (ms: StepMetrics[]) => ms.reduce((s, m) => s + m.parts.contrast!, 0) / ms.length;
    const first = mean(metrics.slice(0, 5));
    const last = mean(metrics.slice(-5));
    console.info(`image contrast loss: first 5 steps ${first.toFixed(3)}, last 5 ${last.toFixed(3)} (ln 16 = ${Math.log(16).toFixed(3)})`);
    expect(last).toBeLessThan(0.8 * first);
    const late = metrics.slice(10).map((m) => m.tensors);
    expect(Math.max(...late)).toBe(Math.min(...late));
  }, 300_000);

  it("trains on 2 workers and resumes exactly across the stage boundary, and exports with parity (no extra weights)", async () => {
    const config = resolvePretrainConfig("tiny", { steps: 20, batchSize: 16, lr: 5e-3, stage1: "contrast", stage1Fraction: 0.25, imageContrast: 0.5, checkpointEvery: 10, workers: 2 });
    const straight = join(dir, "straight");
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, runDir: straight, config, backend: "wasm", onStep: (m) => metrics.push(m) });
    r.model.dispose();
    expect(metrics.filter((m) => m.stage === 1)).toHaveLength(5);
    expect(metrics.every((m) => m.parts.contrast! > 0)).toBe(true);
    const resumed = join(dir, "resumed");
    await cp(straight, resumed, { recursive: true });
    await rm(join(resumed, "ckpt-00000020"), { recursive: true });
    await writeFile(join(resumed, "latest"), "ckpt-00000010");
    const r2 = await runPretrain({ dataDir, runDir: resumed, config, resume: true, backend: "wasm" });
    r2.model.dispose();
    const a = (await loadLatestCheckpoint(straight))!;
    const b = (await loadLatestCheckpoint(resumed))!;
    expect(b.step).toBe(20);
    expect([...a.tensors.keys()].some((n) => n.startsWith("stage1/"))).toBe(false);
    let maxDiff = 0;
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      expect(u, name).toBeDefined();
      for (let i = 0; i < t.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.values[i]! - u.values[i]!));
    }
    console.info(`image contrast on 2 workers, resumed at step 10: max |Δ| vs uninterrupted ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    const { card } = await exportModel({ runDir: straight, outDir: join(dir, "model"), parity: { samples: 16 } });
    expect(Math.max(card.parity.query.maxAbsDiff, card.parity.item.maxAbsDiff)).toBeLessThanOrEqual(1e-4);
  }, 600_000);

  it("refuses a run on a frozen backbone's features before any step, naming the flag", async () => {
    const bb = await writeTestBackbone(join(dir, "bb"));
    for (const o of [{ imageContrast: 0.5 }, { stage1: "contrast" as const, stage1Fraction: 0.2 }]) {
      const config = resolvePretrainConfig("tiny", { steps: 2, batchSize: 8, workers: 1, ...o });
      await expect(runPretrain({ dataDir, runDir: join(dir, `bb-${Object.keys(o)[0]}`), config, backend: "wasm", imageEncoder: bb })).rejects.toThrow(
        /(--image-contrast|--stage1 contrast) augments thumbnails, but this run trains on the frozen image encoder's cached features/,
      );
    }
  }, 120_000);
});
