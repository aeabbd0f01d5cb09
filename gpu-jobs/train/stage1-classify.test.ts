// Stage 1 "classify": the classes it reads, a step's loss leaks no tensors, it learns, and it trains
// data-parallel with exact resume (the head and its Adam slots are checkpointed with the run).
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrainingData } from "../data/index.ts";
import { exportModel } from "../onnx/index.ts";
import { createModel } from "../model/towers.ts";
import { resolveConfig } from "../model/config.ts";
import { selectBackend } from "../tf/backend.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import { toTensors } from "./batch.ts";
import { loadLatestCheckpoint } from "./checkpoint.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";
import { pretrainLoss } from "./pretrain-loss.ts";
import { runPretrain, type StepMetrics } from "./pretrain.ts";
import { CLASSIFY_HEAD, categoryClasses, stage1Classifier } from "./stage1-classify.ts";
import { batchAt, makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let dataDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-classify-"));
  dataDir = await makeTrainingCatalog(dir, 32, 0, 0, { categories: 4 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("categoryClasses", () => {
  it("labels items with an image by their whole category path; the others are -1", () => {
    const c = categoryClasses({ categories: ["Women > Shoes", "Kids>Shoes", null, "Women>Shoes", "Toys", ""], textOnly: [false, false, false, false, true, false] });
    expect(c.names).toEqual(["Kids>Shoes", "Women>Shoes"]);
    expect(Array.from(c.classOf)).toEqual([1, 0, -1, 1, -1, -1]);
  });
});

describe("stage 1 classify", () => {
  it("a step's loss and gradients leave no tensors behind, and only classify + MPM train in stage 1", async () => {
    await selectBackend({ prefer: "wasm" });
    const data = await loadTrainingData(dataDir);
    const tokenizer = trainTokenizer(data.items.titles, { vocabSize: 64, minFreq: 1 });
    const cfg = resolvePretrainConfig("tiny", { batchSize: 8, stage1: "classify", stage1Fraction: 0.5 });
    const mc = resolveConfig("tiny", { vocabSize: tokenizer.vocabSize, dim: cfg.dim });
    const model = createModel(mc);
    const temperature = tf.variable(tf.scalar(0.1), true);
    const classifier = stage1Classifier(cfg, mc, data.items)!;
    expect(classifier.head.get(CLASSIFY_HEAD.w)!.shape).toEqual([mc.hidden, 4]);
    const vars = [...model.variables.values(), temperature, ...classifier.head.values()];
    const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
    const step = (k: number) => {
      const h = batchAt(data, tokenizer, mc, k, 8, cfg.maskRate);
      const t = toTensors(h, mc);
      const { value, grads } = tf.variableGrads(() => {
        const r = pretrainLoss({ model, cfg, mpmTemperature: temperature, logQ, bank: null, crossDevice: null, stage: 1, classifier }, t, h);
        expect(Object.keys(r.parts).sort()).toEqual(["classify", "mpm"]);
        tf.dispose([...Object.values(r.parts), r.itemVectors]);
        return r.total;
      }, vars);
      // The head takes gradient; the query-only parts of the model do not (no QIM in stage 1).
      expect(grads[classifier.head.get(CLASSIFY_HEAD.w)!.name]).toBeDefined();
      expect(grads[model.variables.get("patch.conv1.w")!.name]).toBeDefined();
      tf.dispose([value, ...Object.values(grads), ...Object.values(t)]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let k = 1; k <= 10; k++) step(k);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([temperature, ...classifier.head.values()]);
    model.dispose();
  }, 120_000);

  it("learns the categories alone and ends with a flat tensor count", async () => {
    const config = resolvePretrainConfig("tiny", { steps: 40, batchSize: 16, lr: 5e-3, stage1: "classify", stage1Fraction: 1, checkpointEvery: 1_000, workers: 1 });
    const metrics: StepMetrics[] = [];
    const lines: string[] = [];
    const r = await runPretrain({ dataDir, runDir: join(dir, "alone"), config, backend: "wasm", onStep: (m) => metrics.push(m), log: (l) => lines.push(l) });
    r.model.dispose();
    expect(lines.some((l) => /stage 1 classifies 4 categories \(32 items/.test(l))).toBe(true);
    expect(metrics.every((m) => m.stage === 1 && m.parts.classify !== undefined && m.parts.align === undefined)).toBe(true);
    const mean = (ms: StepMetrics[]) => ms.reduce((s, m) => s + m.parts.classify!, 0) / ms.length;
    const first = mean(metrics.slice(0, 5));
    const last = mean(metrics.slice(-5));
    console.info(`classify loss: first 5 steps ${first.toFixed(3)}, last 5 ${last.toFixed(3)} (ln 4 = ${Math.log(4).toFixed(3)})`);
    expect(last).toBeLessThan(0.7 * first);
    const late = metrics.slice(10).map((m) => m.tensors);
    expect(Math.max(...late)).toBe(Math.min(...late));
  }, 300_000);

  it("trains on 2 workers and resumes exactly across the stage boundary; the head stays out of the export", async () => {
    // 20 steps, 15 in stage 1, checkpoints at 10 and 20: resuming at 10 crosses into stage 2.
    const config = resolvePretrainConfig("tiny", { steps: 20, batchSize: 16, lr: 5e-3, stage1: "classify", stage1Fraction: 0.75, checkpointEvery: 10, workers: 2 });
    const straight = join(dir, "straight");
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, runDir: straight, config, backend: "wasm", onStep: (m) => metrics.push(m) });
    r.model.dispose();
    expect(r.workers).toBe(2);
    expect(metrics.filter((m) => m.stage === 1)).toHaveLength(15);
    expect(metrics[0]!.parts.classify).toBeGreaterThan(0);
    // A run that stopped after its step-10 checkpoint.
    const resumed = join(dir, "resumed");
    await cp(straight, resumed, { recursive: true });
    await rm(join(resumed, "ckpt-00000020"), { recursive: true });
    await writeFile(join(resumed, "latest"), "ckpt-00000010");
    const resumedSteps: StepMetrics[] = [];
    const lines: string[] = [];
    const r2 = await runPretrain({ dataDir, runDir: resumed, config, resume: true, backend: "wasm", onStep: (m) => resumedSteps.push(m), log: (l) => lines.push(l) });
    r2.model.dispose();
    expect(lines.some((l) => /resuming .* at step 10 of 20/.test(l))).toBe(true);
    expect(resumedSteps.map((m) => m.stage)).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    const a = (await loadLatestCheckpoint(straight))!;
    const b = (await loadLatestCheckpoint(resumed))!;
    expect(b.step).toBe(20);
    expect(a.tensors.has(CLASSIFY_HEAD.w)).toBe(true);
    let maxDiff = 0;
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name)!;
      expect(u, name).toBeDefined();
      for (let i = 0; i < t.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.values[i]! - u.values[i]!));
    }
    console.info(`classify stage 1 on 2 workers, resumed at step 10: max |Δ| vs uninterrupted ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    const { card } = await exportModel({ runDir: straight, outDir: join(dir, "model"), parity: { samples: 16 } });
    expect(Math.max(card.parity.query.maxAbsDiff, card.parity.item.maxAbsDiff)).toBeLessThanOrEqual(1e-4);
  }, 600_000);
});
