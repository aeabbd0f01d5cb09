// One worker's pre-training steps: model, optimizer, sampler, memory bank, restore from a
// checkpoint, then the steps with metrics and checkpoints. Alone (one worker, on the caller's
// thread) it trains on the whole batch. In a data-parallel group (train/pretrain-worker.ts) every
// worker draws the same global batch and trains on its shard: after the item-tower forward it
// posts its item vectors and takes the other workers' as CDNS negatives; after the backward the
// gradients are averaged (train/collective.ts), each worker runs Adam (train/flat-adam.ts) on its
// range of the shared weights and moments, and after a second barrier every worker loads all of
// them, so the replicas stay identical; the memory bank holds the global batch's vectors on every
// worker. Rank 0 writes metrics and checkpoints.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { mix32 } from "../../core/index.ts";
import type { Tokenizer } from "../../encoders/index.ts";
import { augmentedViews, createPairSampler, type PairSamplerState, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import type { ModelConfig } from "../model/config.ts";
import { createModel, type Model } from "../model/towers.ts";
import { activeAt, crossDeviceNegatives, MemoryBank, splitReplicas } from "../negatives/index.ts";
import { buildBatch, toTensors } from "./batch.ts";
import { restoreInto, saveCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import { packGradients, type Collective } from "./collective.ts";
import { FlatAdam } from "./flat-adam.ts";
import { learnsImageContrast } from "./image-contrast.ts";
import type { PretrainConfig } from "./pretrain-config.ts";
import { stage1Classifier } from "./stage1-classify.ts";
import { pretrainLoss, type CrossDeviceSource } from "./pretrain-loss.ts";

/** What one step reports (also a line of metrics.jsonl). */
export interface StepMetrics {
  step: number;
  steps: number;
  stage: 1 | 2;
  /** The global batch's loss (with workers: the mean of the workers' losses). */
  loss: number;
  parts: Record<string, number>;
  /** Global batch over the step's wall time. */
  samplesPerSec: number;
  /** Milliseconds: batch assembly, forward+backward, optimizer update (this worker's range), and (workers) exchanging with the others: sync in all, wait of it blocked at barriers. */
  ms: { batch: number; forwardBackward: number; optimizer: number; sync?: number; wait?: number };
  mbns: boolean;
  cdns: boolean;
  tensors: number;
  /** Workers the step was split over. */
  workers: number;
}

/** Saved in every checkpoint: what resuming needs beyond the tensors. */
export interface JobState {
  config: PretrainConfig;
  modelConfig: ModelConfig;
  sampler: PairSamplerState;
  dropoutCalls: number;
  bankIds: number[];
  bankBatch: number;
  /** Adam's bias-correction accumulators β1^t, β2^t: TF.js rebuilds them with pow() on restore,
   * which differs in the last float bit from the running product an uninterrupted run keeps. */
  adamAcc: [number, number] | null;
}

/** What trainLoop needs. */
export interface LoopOptions {
  /** Run folder: metrics.jsonl and checkpoints (written by rank 0). */
  runDir: string;
  /** The run's config. */
  cfg: PretrainConfig;
  /** The model's config. */
  modelConfig: ModelConfig;
  /** Training data. */
  data: TrainingData;
  /** The run's tokenizer. */
  tokenizer: Tokenizer;
  /** Checkpoint to continue from, or null for step 0. */
  ckpt: LoadedCheckpoint<JobState> | null;
  /** This worker's handle on its data-parallel group; null when training alone. */
  group: Collective | null;
  /** Log lines (rank 0 only). */
  log: (msg: string) => void;
  /** Called after every step (rank 0 only). */
  onStep?: (m: StepMetrics) => void;
}

/** Names of the loss parts a step may report, in the order workers post them. */
export const LOSS_PARTS = ["align", "classify", "contrast", "mlm", "mpm", "qic", "qim", "qim2"] as const;

/** Each rank draws its dropout masks from its own range of call numbers. */
const DROPOUT_STRIDE = 2 ** 32;

/** The seed of worker `rank`'s MLM/MPM masks: the run's seed for rank 0 (so one worker draws what it always drew). */
export function shardSeed(seed: number, rank: number): number {
  return rank === 0 ? seed : mix32((seed ^ Math.imul(rank, 0x9e3779b1)) >>> 0);
}

/** The variables a run trains, in order: the towers', the MPM temperature, then stage 1's classification head when it has one. */
export function trainedVariables(model: Model, mpmTemperature: tf.Variable, stage1Head?: Map<string, tf.Variable>): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([...model.variables, ["mpm/temperature", mpmTemperature], ...(stage1Head ?? [])]);
}

/** Run the steps from the checkpoint (or 0) to cfg.steps; the returned model stays alive. */
export async function trainLoop(o: LoopOptions): Promise<{ model: Model; last: StepMetrics | null }> {
  const { cfg, modelConfig, data, tokenizer, ckpt, group, runDir } = o;
  const rank = group?.rank ?? 0;
  const world = group?.world ?? 1;
  const lead = rank === 0;
  const model = createModel(modelConfig);
  const mpmTemperature = tf.variable(tf.scalar(0.1), true); // checkpointed as "mpm/temperature"
  const classifier = stage1Classifier(cfg, modelConfig, data.items);
  const variables = trainedVariables(model, mpmTemperature, classifier?.head);
  const varList = [...variables.values()];
  // Alone: one Adam over every parameter. In a group: the shared weights and moments, this worker's range of them.
  const optimizer = new FlatAdam(
    varList.map((v) => ({ name: v.name, shape: v.shape, size: v.size })),
    { lr: cfg.lr, ...(group ? { state: group.adamState() } : {}) },
  );
  const { lo, hi } = group ? group.paramRange() : { lo: 0, hi: optimizer.size };
  const flatGrad = group ? null : new Float32Array(optimizer.size);
  const sampler = createPairSampler({ n: data.pairs.item.length, batchSize: cfg.batchSize, seed: cfg.seed, weights: data.pairs.weight });
  const bank = cfg.mbns.enabled ? new MemoryBank({ capacity: cfg.mbns.batches }) : null;
  const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
  const ranges = splitReplicas(cfg.batchSize, world);
  const own = ranges[rank]!;
  const dim = modelConfig.dim;
  let start = 0;
  model.dropoutCalls = rank * DROPOUT_STRIDE;
  if (ckpt) {
    await restoreInto(tf, ckpt, variables, null);
    optimizer.restore(ckpt.optimizer, ckpt.state.adamAcc, lo, hi);
    sampler.fromState(ckpt.state.sampler);
    model.dropoutCalls = ckpt.state.dropoutCalls + rank * DROPOUT_STRIDE;
    const bv = ckpt.tensors.get("bank/vectors");
    const bq = ckpt.tensors.get("bank/logQ");
    if (bank && bv && bq) {
      const per = ckpt.state.bankBatch;
      const d = bv.shape[1]!;
      for (let at = 0; at < bv.shape[0]!; at += per) {
        tf.tidy(() => bank.push(tf.tensor2d(bv.values.slice(at * d, (at + per) * d), [per, d]), tf.tensor1d(bq.values.slice(at, at + per)), Int32Array.from(ckpt.state.bankIds.slice(at, at + per))));
      }
    }
    start = ckpt.step;
  }
  optimizer.readVariables(varList, lo, hi); // every replica starts equal: each fills its own range

  if (ckpt) o.log(`resuming ${runDir} at step ${ckpt.step} of ${cfg.steps}`);
  if (classifier) o.log(`stage 1 classifies ${classifier.head.get("stage1/classify.b")!.size} categories (${classifier.classOf.filter((c) => c >= 0).length} items with an image and one)`);
  o.log(
    `pretrain: preset ${cfg.preset}, ${modelConfig.fusion}, ${varList.reduce((n, v) => n + v.size, 0)} parameters, vocab ${tokenizer.vocabSize}, ${data.pairs.item.length} pairs, backend ${tf.getBackend()}, ${world} worker${world === 1 ? "" : "s"}`,
  );
  if (cfg.cdns.enabled && world === 1) o.log("cdns: one worker, so no cross-device negatives (every item of the batch is an in-batch negative already)");

  const stage1Steps = modelConfig.fusion === "text" ? 0 : Math.round(cfg.steps * cfg.stage1Fraction);
  const metricsPath = join(runDir, "metrics.jsonl");
  let last: StepMetrics | null = null;

  const save = async (step: number) => {
    const extra = new Map<string, tf.Tensor>(variables);
    const neg = bank?.negatives() ?? null;
    if (neg) {
      extra.set("bank/vectors", neg.vectors);
      extra.set("bank/logQ", neg.logQ);
    }
    const state: JobState = {
      config: cfg,
      modelConfig,
      sampler: sampler.state(),
      dropoutCalls: model.dropoutCalls - rank * DROPOUT_STRIDE,
      bankIds: neg ? Array.from(neg.ids) : [],
      bankBatch: cfg.batchSize,
      adamAcc: optimizer.acc,
    };
    await saveCheckpoint(runDir, step, extra, optimizer, state);
    if (neg) tf.dispose([neg.vectors, neg.logQ]);
  };

  for (let step = start; step < cfg.steps; step++) {
    const t0 = performance.now();
    const waited = group?.waitedMs ?? 0;
    const stage: 1 | 2 = step < stage1Steps ? 1 : 2;
    const pairs = sampler.next(); // the global batch: every worker draws the same
    const mine = world === 1 ? pairs : pairs.subarray(own.start, own.end);
    const h = buildBatch(data, tokenizer, modelConfig, mine, step, shardSeed(cfg.seed, rank), cfg.maskRate, stage === 2 ? (cfg.titleDropout ?? 0) : 0);
    if (learnsImageContrast(cfg, stage)) h.views = augmentedViews(data.items, h.items, modelConfig.patchGrid, shardSeed(cfg.seed, rank), step);
    const t = toTensors(h, modelConfig);
    const items = world === 1 ? h.items : Int32Array.from(pairs, (p) => data.pairs.item[p]!);
    const mbnsOn = !!bank && stage === 2 && activeAt(step, cfg.steps, cfg.mbns.startFraction) && bank.size > 0;
    const cdnsOn = world > 1 && cfg.cdns.enabled && stage === 2 && activeAt(step, cfg.steps, cfg.cdns.startFraction);
    let posted = false;
    let exchangeMs = 0; // waiting for the other workers' item vectors (inside forward+backward)
    let reduceMs = 0; // averaging gradients (before the update)
    const crossDevice: CrossDeviceSource | null =
      group && cdnsOn
        ? (vectors) => {
            const ts = performance.now();
            group.writeRows(step, own.start, vectors.dataSync() as Float32Array);
            posted = true;
            group.barrier();
            const cross = crossDeviceNegatives(group.readRows(step), dim, items, logQ, rank, ranges);
            exchangeMs += performance.now() - ts;
            return cross;
          }
        : null;
    const t1 = performance.now();
    let result: ReturnType<typeof pretrainLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      result = pretrainLoss({ model, cfg, mpmTemperature, logQ, bank: mbnsOn ? bank : null, crossDevice, stage, classifier }, t, h);
      return result.total;
    }, varList);
    const r = result!;
    let loss = (await value.data())[0]!;
    const parts: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.parts)) parts[k] = (await v.data())[0]!;
    const t2 = performance.now();
    let waitMs = 0;
    if (!group) {
      // Clip by global norm: with five tasks summed, one task's early spike (MLM over the whole
      // vocabulary) otherwise swamps the matching gradients and the vectors collapse.
      const norm = Math.sqrt(tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
      const scale = cfg.clipNorm > 0 && norm > cfg.clipNorm ? cfg.clipNorm / norm : 1;
      packGradients(flatGrad!, varList, (name) => (grads[name]?.dataSync() as Float32Array | undefined) ?? null);
      // float32 scale: the product tf.mul(g, scale) gave before the flat optimizer.
      optimizer.update(flatGrad!, 0, optimizer.size, Math.fround(scale));
      optimizer.writeVariables(varList);
    } else {
      const ts = performance.now();
      if (bank && !posted) group.writeRows(step, own.start, r.itemVectors.dataSync() as Float32Array);
      group.writeGradients(step, varList, (name) => (grads[name]?.dataSync() as Float32Array | undefined) ?? null);
      group.writeScalars(step, [loss, ...LOSS_PARTS.map((p) => parts[p] ?? Number.NaN)]);
      const mean = group.allReduceMean(step);
      // The same clipping, on the averaged gradient: every worker computes the same norm.
      let sq = 0;
      for (let i = 0; i < mean.length; i++) sq += mean[i]! * mean[i]!;
      const norm = Math.sqrt(sq);
      const scale = cfg.clipNorm > 0 && norm > cfg.clipNorm ? cfg.clipNorm / norm : 1;
      // The step's loss is the mean of the workers' (each the loss of its shard).
      const all = group.readScalars(step);
      loss = all.reduce((s, x) => s + x[0]!, 0) / world;
      for (const [i, p] of LOSS_PARTS.entries()) {
        const got = all.map((x) => x[i + 1]!).filter((x) => !Number.isNaN(x));
        if (got.length) parts[p] = got.reduce((s, x) => s + x, 0) / got.length;
      }
      const tu = performance.now();
      optimizer.update(mean, lo, hi, scale); // this worker's range of the shared weights and moments
      const tb = performance.now();
      group.barrier(); // every range updated
      const tl = performance.now();
      optimizer.writeVariables(varList);
      reduceMs = tu - ts + (tl - tb);
      waitMs = group.waitedMs - waited;
    }
    await varList[0]!.data(); // wait for the update before timing it
    const t3 = performance.now();
    if (bank && stage === 2) {
      if (group) {
        const rows = group.readRows(step); // every worker's rows were posted before the all-reduce's barrier
        tf.tidy(() => bank.push(tf.tensor2d(rows, [items.length, dim]), tf.tensor1d(Float32Array.from(items, (row) => logQ[row]!)), items));
      } else tf.tidy(() => bank.push(r.itemVectors, tf.tensor1d(Array.from(h.items, (row) => logQ[row]!)), h.items));
    }
    tf.dispose([value, ...Object.values(grads), ...Object.values(t), ...Object.values(r.parts), r.itemVectors]);
    if (!Number.isFinite(loss)) throw new TrainError("BAD_OPTION", `loss became ${loss} at step ${step}; lower the learning rate (--lr)`);
    last = {
      step: step + 1,
      steps: cfg.steps,
      stage,
      loss,
      parts,
      samplesPerSec: (cfg.batchSize * 1000) / (t3 - t0),
      ms: { batch: t1 - t0, forwardBackward: t2 - t1 - exchangeMs, optimizer: t3 - t2 - reduceMs, ...(group ? { sync: exchangeMs + reduceMs, wait: waitMs } : {}) },
      mbns: mbnsOn,
      cdns: cdnsOn,
      tensors: tf.memory().numTensors,
      workers: world,
    };
    if (!lead) continue;
    // Synchronous: an awaited append hops through libuv's thread pool and back, and on a busy machine
    // that cost rank 0 ~15–25 ms a step, which every other worker then waited for at the barrier.
    appendFileSync(metricsPath, `${JSON.stringify(last)}\n`);
    o.onStep?.(last);
    if ((step + 1) % cfg.checkpointEvery === 0 || step + 1 === cfg.steps) await save(step + 1);
  }
  bank?.dispose();
  mpmTemperature.dispose();
  for (const v of classifier?.head.values() ?? []) v.dispose();
  return { model, last };
}
