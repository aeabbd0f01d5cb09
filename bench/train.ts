// Training throughput of the `cpu` preset: samples/s on the wasm and cpu TF.js backends, and one
// step broken down into forward, backward and optimizer. Baseline in the same run: the cpu backend.
// Usage: npm run bench -- train [--steps 6] [--items 2000]
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { buildBatch, createModel, loadTrainingData, pretrainLoss, resolveConfig, resolvePretrainConfig, selectBackend, toTensors, trainTokenizer } from "../gpu-jobs/index.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { ensureDemoData } from "./support/demo-data.ts";

const { values } = parseArgs({ options: { steps: { type: "string", default: "6" }, items: { type: "string", default: "2000" } } });
const steps = Number(values.steps);
const items = Number(values.items);
const dataDir = await ensureDemoData(items);
const data = await loadTrainingData(dataDir);
const cfg = resolvePretrainConfig("cpu", {});
const tokenizer = trainTokenizer([...data.items.titles, ...data.pairs.query], { vocabSize: cfg.vocabSize });
const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));

interface Row {
  backend: string;
  samplesPerSec: number;
  forward: number;
  backward: number;
  optimizer: number;
  batch: number;
}
const rows: Row[] = [];
for (const name of ["wasm", "cpu"] as const) {
  await selectBackend({ prefer: name });
  const mc = resolveConfig("cpu", { vocabSize: tokenizer.vocabSize, dim: cfg.dim, seed: cfg.seed, dropout: 0, patchSize: data.items.thumbSize / data.items.grid });
  const model = createModel(mc);
  const temp = tf.variable(tf.scalar(0.1));
  const vars = [...model.variables.values(), temp];
  const opt = tf.train.adam(cfg.lr);
  const n = name === "cpu" ? Math.max(1, Math.ceil(steps / 3)) : steps; // cpu is ~20× slower
  const sum = { forward: 0, backward: 0, optimizer: 0, batch: 0 };
  for (let s = 0; s <= n; s++) {
    const t0 = performance.now();
    const idx = Int32Array.from({ length: cfg.batchSize }, (_, i) => (s * cfg.batchSize + i) % data.pairs.item.length);
    const h = buildBatch(data, tokenizer, mc, idx, s, 1, cfg.maskRate);
    const t = toTensors(h, mc);
    const ctx = { model, cfg, mpmTemperature: temp, logQ, bank: null, cdns: true, stage: 2 as const };
    const t1 = performance.now();
    tf.tidy(() => {
      const r = pretrainLoss(ctx, t, h);
      r.total.dataSync();
      tf.dispose([...Object.values(r.parts), r.itemVectors]);
    });
    const t2 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const r = pretrainLoss(ctx, t, h);
      tf.dispose([...Object.values(r.parts), r.itemVectors]);
      return r.total;
    }, vars);
    value.dataSync();
    const t3 = performance.now();
    opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
    vars[0]!.dataSync();
    const t4 = performance.now();
    tf.dispose([value, ...Object.values(grads), ...Object.values(t)]);
    if (s === 0) continue; // warm-up
    sum.batch += t1 - t0;
    sum.forward += t2 - t1;
    sum.backward += t3 - t2 - (t2 - t1); // forward+backward minus a forward
    sum.optimizer += t4 - t3;
  }
  const per = (x: number) => x / n;
  const stepMs = per(sum.batch + sum.forward + sum.backward + sum.optimizer); // one training step: batch + forward + backward + update
  rows.push({ backend: name, samplesPerSec: (cfg.batchSize * 1000) / stepMs, forward: per(sum.forward), backward: per(sum.backward), optimizer: per(sum.optimizer), batch: per(sum.batch) });
  model.dispose();
  temp.dispose();
  opt.dispose();
}
const base = rows.find((r) => r.backend === "cpu")!;
console.log(`\ncpu preset (${resolveConfig("cpu").layers} layers × ${resolveConfig("cpu").hidden}), batch ${cfg.batchSize}, full objective (MLM+MPM+QIC+QIM with CDNS+QIM2), demo ${items} items\n`);
printTable(
  ["backend", "samples/s", "batch ms", "forward ms", "backward ms", "optimizer ms", "vs cpu"],
  rows.map((r) => [
    r.backend,
    r.samplesPerSec.toFixed(1),
    r.batch.toFixed(0),
    r.forward.toFixed(0),
    r.backward.toFixed(0),
    r.optimizer.toFixed(0),
    `${(r.samplesPerSec / base.samplesPerSec).toFixed(1)}×`,
  ]),
);
const wasm = rows.find((r) => r.backend === "wasm")!;
const pairsPerEpoch = data.pairs.item.length;
console.log(
  `\ncpu preset schedule: ${cfg.steps} steps × ${cfg.batchSize} = ${cfg.steps * cfg.batchSize} samples (${((cfg.steps * cfg.batchSize) / pairsPerEpoch).toFixed(1)} epochs of ${pairsPerEpoch} pairs) → ≈ ${((cfg.steps * cfg.batchSize) / wasm.samplesPerSec / 60).toFixed(1)} min on wasm (goal: < 10 min)`,
);
console.log(`results: ${await writeResults("train", { items, rows })}`);
