// Training throughput of the `cpu` preset on the demo catalog, and what limits it:
//   1. scaling: `vitrine pretrain`'s own loop (runPretrain) on 1..N data-parallel workers, same seed
//      and schedule: steady-state samples/s (wall time between step callbacks after a warm-up),
//      speedup over 1 worker (the baseline, same run), and the QIM loss on held-out pairs after the
//      same number of samples, per seed (the spread across seeds is the noise);
//   2. one worker's step time at the shard sizes 8 and 16 workers would run (64/N rows): what the
//      projection to more cores rests on;
//   3. the PyTorch reference (bench/train-torch.py: the same model, sizes and objective, on batches
//      exported from this run) on 1 and N threads, when a python3 with torch is installed;
//   4. --profile: the kernels of one forward+backward, by time.
// Usage: npm run bench -- train [--steps 100] [--workers 1,2] [--seeds 1,2] [--items 2000] [--profile] [--no-torch]
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import {
  buildBatch,
  createModel,
  FlatAdam,
  loadTrainingData,
  packGradients,
  pretrainLoss,
  qimEvalLoss,
  resolveConfig,
  resolvePretrainConfig,
  runPretrain,
  selectBackend,
  type StepMetrics,
  toTensors,
  trainTokenizer,
} from "../gpu-jobs/index.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { ensureDemoData } from "./support/demo-data.ts";
import { profileKernels } from "./support/kernel-profile.ts";
import { exportBatches, findTorchPython, runTorch, type TorchResult } from "./support/torch-reference.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "100" },
    workers: { type: "string", default: Array.from({ length: availableParallelism() }, (_, i) => i + 1).join(",") },
    seeds: { type: "string", default: "1,2" },
    items: { type: "string", default: "2000" },
    profile: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
  },
});
const steps = Number(values.steps);
const workerCounts = values.workers.split(",").map(Number);
const seeds = values.seeds.split(",").map(Number);
const items = Number(values.items);
const WARMUP = 3;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
const loadBefore = load();
const dataDir = await ensureDemoData(items);
const data = await loadTrainingData(dataDir);
const heldOut = { ...data, pairs: data.evalPairs };
await selectBackend({ prefer: "wasm" });
const base = resolvePretrainConfig("cpu", {});
console.log(`cpu preset, batch ${base.batchSize}, demo ${items} items (${data.pairs.item.length} pairs), ${steps} steps per run; load average before: ${loadBefore}`);

// 1. Scaling over workers, the baseline (1 worker) in the same run.
interface ScalingRow {
  workers: number;
  seed: number;
  samplesPerSec: number;
  startSec: number;
  syncMs: number;
  /** Of syncMs, blocked at barriers. */
  waitMs: number;
  /** Rank 0's mean ms/step per stage (StepMetrics.ms) after the warm-up. */
  stages: { batch: number; forwardBackward: number; optimizer: number };
  heldOutQim: number;
}
const scaling: ScalingRow[] = [];
// Mean of a per-step figure over the timed steps (after the warm-up).
const after = (ms: StepMetrics["ms"][], pick: (m: StepMetrics["ms"]) => number) => {
  const timed = ms.slice(WARMUP + 1);
  return timed.reduce((a, m) => a + pick(m), 0) / timed.length;
};
const tmp = await mkdtemp(join(tmpdir(), "vitrine-bench-train-"));
for (const seed of seeds) {
  for (const workers of workerCounts) {
    const config = resolvePretrainConfig("cpu", { steps, seed, workers, checkpointEvery: steps });
    const stamps: number[] = [];
    const ms: StepMetrics["ms"][] = [];
    const t0 = performance.now();
    const r = await runPretrain({ dataDir, runDir: join(tmp, `w${workers}-s${seed}`), config, backend: "wasm", data, onStep: (m) => (stamps.push(performance.now()), ms.push(m.ms)) });
    const timed = stamps.length - 1 - WARMUP;
    const row = {
      workers,
      seed,
      samplesPerSec: (timed * config.batchSize * 1000) / (stamps.at(-1)! - stamps[WARMUP]!),
      startSec: (stamps[0]! - t0) / 1000,
      syncMs: after(ms, (m) => m.sync ?? 0),
      waitMs: after(ms, (m) => m.wait ?? 0),
      stages: { batch: after(ms, (m) => m.batch), forwardBackward: after(ms, (m) => m.forwardBackward), optimizer: after(ms, (m) => m.optimizer) },
      heldOutQim: qimEvalLoss(r.model, r.tokenizer, heldOut, config.temperature),
    };
    r.model.dispose();
    scaling.push(row);
    console.log(`  ${workers} worker(s), seed ${seed}: ${row.samplesPerSec.toFixed(1)} samples/s, held-out QIM ${row.heldOutQim.toFixed(3)}`);
  }
}
await rm(tmp, { recursive: true, force: true });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const byWorkers = workerCounts.map((w) => scaling.filter((r) => r.workers === w));
const one = mean(byWorkers[0]!.map((r) => r.samplesPerSec));
console.log(`\nscaling (runPretrain, same seeds and schedule; held-out QIM loss after ${steps * base.batchSize} samples, per seed)\n`);
printTable(
  ["workers", "samples/s", `vs ${workerCounts[0]}`, "per worker", "start s", "sync ms/step", `held-out QIM (seeds ${seeds.join(", ")})`, "600 steps, min"],
  byWorkers.map((rows) => {
    const sps = mean(rows.map((r) => r.samplesPerSec));
    const w = rows[0]!.workers;
    return [
      w,
      sps.toFixed(1),
      `${(sps / one).toFixed(2)}×`,
      `${((sps / one / w) * workerCounts[0]! * 100).toFixed(0)}%`,
      mean(rows.map((r) => r.startSec)).toFixed(1),
      mean(rows.map((r) => r.syncMs)).toFixed(0),
      rows.map((r) => r.heldOutQim.toFixed(3)).join(", "),
      ((600 * base.batchSize) / sps / 60).toFixed(1),
    ];
  }),
);

console.log("\nper step, ms (rank 0, mean after the warm-up): sync = packing, averaging and the barriers; wait = of it, blocked for the other workers\n");
printTable(
  ["workers", "batch", "forward+backward", "optimizer", "sync", "wait", "step"],
  byWorkers.map((rows) => {
    const m = (pick: (r: ScalingRow) => number) => mean(rows.map(pick));
    return [
      rows[0]!.workers,
      m((r) => r.stages.batch).toFixed(1),
      m((r) => r.stages.forwardBackward).toFixed(1),
      m((r) => r.stages.optimizer).toFixed(1),
      m((r) => r.syncMs).toFixed(1),
      m((r) => r.waitMs).toFixed(1),
      ((base.batchSize * 1000) / m((r) => r.samplesPerSec)).toFixed(1),
    ];
  }),
);

// 2. One worker's step at the shard sizes of more workers (forward + backward + Adam, in-process).
const tokenizer = trainTokenizer([...data.items.titles, ...data.pairs.query], { vocabSize: base.vocabSize });
const mc = resolveConfig("cpu", { vocabSize: tokenizer.vocabSize, dim: base.dim, seed: base.seed, patchSize: data.items.thumbSize / data.items.grid });
const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
function stepMs(batch: number, n: number): number {
  const model = createModel(mc);
  const temp = tf.variable(tf.scalar(0.1));
  const vars = [...model.variables.values(), temp];
  const opt = new FlatAdam(
    vars.map((v) => ({ name: v.name, shape: v.shape, size: v.size })),
    { lr: base.lr },
  ); // the loop's optimizer (train/flat-adam.ts)
  const grad = new Float32Array(opt.size);
  opt.readVariables(vars);
  let total = 0;
  for (let s = 0; s <= n; s++) {
    const idx = Int32Array.from({ length: batch }, (_, i) => (s * batch + i) % data.pairs.item.length);
    const t0 = performance.now();
    const h = buildBatch(data, tokenizer, mc, idx, s, 1, base.maskRate);
    const t = toTensors(h, mc);
    const { value, grads } = tf.variableGrads(() => {
      const r = pretrainLoss({ model, cfg: base, mpmTemperature: temp, logQ, bank: null, crossDevice: null, stage: 2 }, t, h);
      tf.dispose([...Object.values(r.parts), r.itemVectors]);
      return r.total;
    }, vars);
    value.dataSync();
    packGradients(grad, vars, (name) => (grads[name]?.dataSync() as Float32Array | undefined) ?? null);
    opt.update(grad);
    opt.writeVariables(vars);
    vars[0]!.dataSync();
    if (s > 0) total += performance.now() - t0;
    tf.dispose([value, ...Object.values(grads), ...Object.values(t)]);
  }
  model.dispose();
  temp.dispose();
  return total / n;
}
const shards = [64, 32, 16, 8, 4];
const shardMs = new Map(shards.map((b) => [b, stepMs(b, b >= 32 ? 4 : 8)]));
const last = byWorkers.at(-1)!;
const syncPerWorker = mean(last.map((r) => r.syncMs)) / last[0]!.workers; // all-reduce + waits, taken as growing with the workers
console.log(`\none worker's step (forward + backward + Adam) by rows; projection: N workers on N cores at ${base.batchSize / 8} and 16 rows each\n`);
const projection = (n: number, rows: number) => (n * rows * 1000) / (shardMs.get(rows)! + syncPerWorker * n);
printTable(
  ["rows", "ms/step", "samples/s", "cores", "batch 64: samples/s", "16 rows/worker: samples/s"],
  shards.map((b) => {
    const n = base.batchSize / b;
    return [b, shardMs.get(b)!.toFixed(0), ((b * 1000) / shardMs.get(b)!).toFixed(1), n, projection(n, b).toFixed(0), n >= 4 ? `${projection(n, 16).toFixed(0)} (batch ${16 * n})` : "-"];
  }),
);

// 3. The PyTorch reference on batches of this run.
let torch: { one: TorchResult; all: TorchResult } | null = null;
const python = values["no-torch"] ? null : findTorchPython();
if (!python) console.log(`\nPyTorch reference skipped: ${values["no-torch"] ? "--no-torch" : "no python3 with torch here (Debian: apt-get install python3-torch)"}`);
else {
  const dir = await mkdtemp(join(tmpdir(), "vitrine-bench-torch-"));
  await exportBatches(dir, data, tokenizer, mc, base, 8);
  const n = workerCounts.at(-1)!;
  torch = { one: runTorch(python, dir, 30, 1), all: runTorch(python, dir, 30, n) };
  await rm(dir, { recursive: true, force: true });
  const ts = (w: number) => mean(byWorkers.find((r) => r[0]!.workers === w)?.map((r) => r.samplesPerSec) ?? [Number.NaN]);
  const blas = torch.one.blas.map((b) => b.split("/").slice(-2).join("/")).join(", ");
  console.log(`\nPyTorch ${torch.one.torch} (${python}; BLAS ${blas}), same model (${torch.one.parameters} parameters) and objective, same batches\n`);
  if (!torch.one.blas.some((b) => /openblas|mkl|blis/i.test(b)))
    console.log("warning: PyTorch runs on the reference BLAS here; install an optimised one (apt-get install libopenblas0-openmp) for a fair reference");
  printTable(
    ["cores", "PyTorch samples/s", "TF.js wasm samples/s", "TF.js / PyTorch"],
    [
      [1, torch.one.samplesPerSec.toFixed(1), ts(1).toFixed(1), (ts(1) / torch.one.samplesPerSec).toFixed(2)],
      [n, torch.all.samplesPerSec.toFixed(1), ts(n).toFixed(1), (ts(n) / torch.all.samplesPerSec).toFixed(2)],
    ],
  );
}

// 4. Kernels.
let kernels: Awaited<ReturnType<typeof profileKernels>> | null = null;
if (values.profile) {
  kernels = await profileKernels(data, tokenizer, mc, base, base.batchSize, 3);
  console.log(`\nkernels of one forward+backward at batch ${base.batchSize} (tf.profile; wall ${kernels.wallMs.toFixed(0)} ms/step)\n`);
  printTable(
    ["kernel", "calls", "ms/step", "share"],
    kernels.kernels.slice(0, 15).map((k) => [k.kernel, k.calls.toFixed(0), k.ms.toFixed(1), `${((100 * k.ms) / kernels!.wallMs).toFixed(0)}%`]),
  );
}
console.log(`\nload average before: ${loadBefore}; after: ${load()} (${availableParallelism()} cores)`);
console.log(`results: ${await writeResults("train", { items, steps, seeds, scaling, shardMs: Object.fromEntries(shardMs), torch, kernels, load: { before: loadBefore, after: load() } })}`);
