// Data-parallel pre-training does what it claims: one step on 2 worker threads equals, computed
// here on one thread, Adam applied to the mean of the two shards' gradients, where each shard's
// QIM loss has the other shard's item vectors as CDNS negatives (β, log Q); and the step reports
// the mean of the two shard losses.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tokenizer } from "../../encoders/index.ts";
import { createPairSampler, loadTrainingData } from "../data/index.ts";
import { createModel } from "../model/towers.ts";
import { crossDeviceNegatives, splitReplicas } from "../negatives/index.ts";
import { selectBackend } from "../tf/backend.ts";
import { buildBatch, toTensors } from "./batch.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";
import { pretrainLoss } from "./pretrain-loss.ts";
import { shardSeed, trainedVariables } from "./pretrain-loop.ts";
import { runPretrain, type StepMetrics } from "./pretrain.ts";
import { makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let dataDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-dp-"));
  dataDir = await makeTrainingCatalog(dir, 32);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("data-parallel pre-training (2 workers)", () => {
  it("one step = Adam on the mean of the shards' gradients, with each other's items as CDNS negatives", async () => {
    // CDNS on from step 0, no clipping, no bank: the step is exactly the mean gradient's update.
    const config = resolvePretrainConfig("tiny", {
      steps: 1,
      batchSize: 8,
      lr: 1e-2,
      clipNorm: 0,
      checkpointEvery: 1,
      mbns: { enabled: false },
      cdns: { enabled: true, startFraction: 0, beta: 2 },
      workers: 2,
    });
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, runDir: join(dir, "run"), config, backend: "wasm", onStep: (m) => metrics.push(m) });
    expect(r.workers).toBe(2);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]!.cdns).toBe(true);

    // The same step on this thread.
    await selectBackend({ prefer: "wasm" });
    const data = await loadTrainingData(dataDir);
    const tokenizer = Tokenizer.fromJSON(r.tokenizer.toJSON());
    const model = createModel(r.modelConfig);
    const temperature = tf.variable(tf.scalar(0.1), true);
    const vars = [...trainedVariables(model, temperature).values()];
    const pairs = createPairSampler({ n: data.pairs.item.length, batchSize: 8, seed: config.seed, weights: data.pairs.weight }).next();
    const ranges = splitReplicas(8, 2);
    const items = Int32Array.from(pairs, (p) => data.pairs.item[p]!);
    const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
    const shards = ranges.map((g, rank) => buildBatch(data, tokenizer, r.modelConfig, pairs.subarray(g.start, g.end), 0, shardSeed(config.seed, rank), config.maskRate));
    const tensors = shards.map((h) => toTensors(h, r.modelConfig));
    // Each shard's item vectors as its worker computed them (dropout is 0 in tiny).
    const gathered = new Float32Array(8 * r.modelConfig.dim);
    tensors.forEach((t, rank) => {
      const v = tf.tidy(() => model.encodeItem({ titleTokens: t.titleTokens, patches: t.patches, imageMask: t.imageMask, maskedPatches: t.maskedPatches, training: true }).vector);
      gathered.set(v.dataSync(), ranges[rank]!.start * r.modelConfig.dim);
      v.dispose();
    });
    const sums = new Map<string, tf.Tensor>();
    let lossSum = 0;
    for (const [rank, h] of shards.entries()) {
      const { value, grads } = tf.variableGrads(() => {
        const crossDevice = () => crossDeviceNegatives(gathered, r.modelConfig.dim, items, logQ, rank, ranges);
        const out = pretrainLoss({ model, cfg: config, mpmTemperature: temperature, logQ, bank: null, crossDevice, stage: 2 }, tensors[rank]!, h);
        tf.dispose([...Object.values(out.parts), out.itemVectors]);
        return out.total;
      }, vars);
      lossSum += value.dataSync()[0]!;
      for (const v of vars) {
        const g = grads[v.name] ?? tf.zerosLike(v);
        const prev = sums.get(v.name);
        sums.set(v.name, prev ? tf.add(prev, g) : tf.clone(g));
        if (prev) prev.dispose();
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
    const mean: Record<string, tf.Tensor> = {};
    for (const v of vars) mean[v.name] = tf.div(sums.get(v.name)!, 2);
    const adam = tf.train.adam(config.lr);
    adam.applyGradients(mean as unknown as Parameters<typeof adam.applyGradients>[0]);
    expect(Math.abs(metrics[0]!.loss - lossSum / 2)).toBeLessThanOrEqual(1e-5 * Math.max(1, lossSum));

    let maxDiff = 0;
    let moved = 0;
    const initial = createModel(r.modelConfig);
    for (const [name, v] of model.variables) {
      const got = r.model.variables.get(name)!.dataSync();
      const want = v.dataSync();
      const start = initial.variables.get(name)!.dataSync();
      for (let i = 0; i < want.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
        moved = Math.max(moved, Math.abs(want[i]! - start[i]!));
      }
    }
    console.info(`2 workers vs the mean gradient on one thread: max |Δweight| ${maxDiff.toExponential(2)} (the step moved weights by up to ${moved.toExponential(2)})`);
    expect(moved).toBeGreaterThan(1e-3); // the step did something
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    tf.dispose([...Object.values(mean), ...sums.values(), ...tensors.flatMap((t) => Object.values(t)), temperature]);
    adam.dispose();
    for (const m of [model, initial, r.model]) m.dispose();
  }, 300_000);
});
