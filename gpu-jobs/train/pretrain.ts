// The pre-training job: data → tokenizer → model → steps (stage 1 then stage 2) with metrics,
// checkpoints every N steps, and exact resume from the newest complete checkpoint.
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { prepareBackbone } from "../backbone/index.ts";
import { loadTrainingData, createPairSampler, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import { resolveConfig, type ModelConfig } from "../model/config.ts";
import { createModel, type Model } from "../model/towers.ts";
import { activeAt, MemoryBank } from "../negatives/index.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { Tokenizer } from "../../encoders/index.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import { buildBatch, toTensors } from "./batch.ts";
import { loadLatestCheckpoint, restoreInto, saveCheckpoint } from "./checkpoint.ts";
import { pretrainLoss } from "./pretrain-loss.ts";
import type { PretrainConfig } from "./pretrain-config.ts";

/** Options of a pre-training run. */
export interface PretrainOptions {
  /** Data directory a `vitrine import` completed in. */
  dataDir: string;
  /** Run folder for checkpoints, tokenizer and metrics (default `<dataDir>/runs/pretrain`). */
  runDir?: string;
  /** The resolved job config. */
  config: PretrainConfig;
  /** Continue from the newest checkpoint in runDir (its config wins). */
  resume?: boolean;
  /** Force a TF.js backend (default: best available). */
  backend?: BackendName;
  /** Called after every step. */
  onStep?: (m: StepMetrics) => void;
  /** Log lines (backend choice, resume point). */
  log?: (msg: string) => void;
  /** Already loaded data (tests and ablations reuse it). */
  data?: TrainingData;
  /** `--image-encoder FILE.onnx`: a frozen ONNX backbone (FILE.json beside it) whose features replace the patch CNN's pixels; recorded in the model config, so a resumed run must get the same one. */
  imageEncoder?: string;
}

/** What one step reports (also a line of metrics.jsonl). */
export interface StepMetrics {
  step: number;
  steps: number;
  stage: 1 | 2;
  loss: number;
  parts: Record<string, number>;
  samplesPerSec: number;
  /** Milliseconds: batch assembly, forward+backward, optimizer update. */
  ms: { batch: number; forwardBackward: number; optimizer: number };
  mbns: boolean;
  cdns: boolean;
  tensors: number;
}

/** Where a finished run left its model. */
export interface PretrainResult {
  runDir: string;
  steps: number;
  model: Model;
  modelConfig: ModelConfig;
  tokenizer: Tokenizer;
  data: TrainingData;
  backend: string;
  lastMetrics: StepMetrics | null;
}

/** Saved in every checkpoint: what resuming needs beyond the tensors. */
interface JobState {
  config: PretrainConfig;
  modelConfig: ModelConfig;
  sampler: ReturnType<ReturnType<typeof createPairSampler>["state"]>;
  dropoutCalls: number;
  bankIds: number[];
  bankBatch: number;
  /** Adam's bias-correction accumulators β1^t, β2^t: TF.js rebuilds them with pow() on restore,
   * which differs in the last float bit from the running product an uninterrupted run keeps. */
  adamAcc: [number, number] | null;
}

type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Run (or resume) pre-training; the returned model stays alive (the caller disposes it). */
export async function runPretrain(opts: PretrainOptions): Promise<PretrainResult> {
  const log = opts.log ?? (() => undefined);
  const backend = await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log });
  const runDir = opts.runDir ?? join(opts.dataDir, "runs", "pretrain");
  const ckpt = opts.resume ? await loadLatestCheckpoint<JobState>(runDir) : null;
  if (opts.resume && !ckpt) log(`no checkpoint in ${runDir}: starting from step 0`);
  if (!ckpt) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  let cfg = ckpt?.state.config ?? opts.config;
  const data = opts.data ?? (await loadTrainingData(opts.dataDir, { log }));
  if (data.pairs.item.length === 0) throw new TrainError("NO_TRAINING_DATA", "the click log has no training pairs; import clicks first");
  if (opts.imageEncoder && (ckpt?.state.modelConfig.fusion ?? cfg.fusion) === "text")
    throw new TrainError("BAD_OPTION", "--image-encoder needs an image side: use --fusion fusion or concat, not text");
  // A bring-your-own backbone: its features (cached per image) are the item tower's image input.
  const backbone = await prepareBackbone(opts.dataDir, data.items, {
    recorded: ckpt ? (ckpt.state.modelConfig.backbone ?? null) : undefined,
    given: opts.imageEncoder,
    grid: data.items.grid,
    what: `the run in ${runDir}`,
    log,
  });
  // The run's config names the backbone's features, so `eval --ablations` never reuses it as a patch-CNN run.
  if (backbone && !ckpt) cfg = { ...cfg, imageEncoder: backbone.record.id };
  if (backbone) log(`image encoder ${backbone.record.file}: ${backbone.record.tokens}×${backbone.record.featureDim} features per image (${backbone.cached} cached, ${backbone.computed} computed)`);

  let tokenizer: Tokenizer;
  const tokPath = join(runDir, "tokenizer.json");
  if (ckpt) tokenizer = Tokenizer.fromJSON(await readFile(tokPath, "utf8"));
  else {
    tokenizer = trainTokenizer([...data.items.titles, ...data.pairs.query], { vocabSize: cfg.vocabSize });
    await writeAtomic(tokPath, JSON.stringify(tokenizer.toJSON()));
  }
  const modelConfig =
    ckpt?.state.modelConfig ??
    resolveConfig(cfg.preset, {
      vocabSize: tokenizer.vocabSize,
      dim: cfg.dim,
      fusion: cfg.fusion,
      queryTower: cfg.queryTower,
      seed: cfg.seed,
      modalGate: cfg.fusion === "fusion",
      patchSize: data.items.thumbSize / data.items.grid,
      patchGrid: data.items.grid,
      ...(backbone ? { backbone: backbone.record } : {}),
    });
  const model = createModel(modelConfig);
  const mpmTemperature = tf.variable(tf.scalar(0.1), true); // checkpointed as "mpm/temperature"
  const variables = new Map<string, tf.Variable>([...model.variables, ["mpm/temperature", mpmTemperature]]);
  const varList = [...variables.values()];
  const optimizer = tf.train.adam(cfg.lr);
  const sampler = createPairSampler({ n: data.pairs.item.length, batchSize: cfg.batchSize, seed: cfg.seed, weights: data.pairs.weight });
  const bank = cfg.mbns.enabled ? new MemoryBank({ capacity: cfg.mbns.batches }) : null;
  const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
  let start = 0;
  if (ckpt) {
    await restoreInto(tf, ckpt, variables, optimizer);
    sampler.fromState(ckpt.state.sampler);
    model.dropoutCalls = ckpt.state.dropoutCalls;
    const acc = optimizer as unknown as AdamInternals;
    if (ckpt.state.adamAcc && acc.accBeta1 && acc.accBeta2) {
      tf.tidy(() => {
        acc.accBeta1!.assign(tf.scalar(ckpt.state.adamAcc![0]));
        acc.accBeta2!.assign(tf.scalar(ckpt.state.adamAcc![1]));
      });
    }
    const bv = ckpt.tensors.get("bank/vectors");
    const bq = ckpt.tensors.get("bank/logQ");
    if (bank && bv && bq) {
      const per = ckpt.state.bankBatch;
      const d = bv.shape[1]!;
      for (let o = 0; o < bv.shape[0]!; o += per) {
        tf.tidy(() => bank.push(tf.tensor2d(bv.values.slice(o * d, (o + per) * d), [per, d]), tf.tensor1d(bq.values.slice(o, o + per)), Int32Array.from(ckpt.state.bankIds.slice(o, o + per))));
      }
    }
    start = ckpt.step;
    log(`resuming ${runDir} at step ${start} of ${cfg.steps}`);
  }
  log(
    `pretrain: preset ${cfg.preset}, ${modelConfig.fusion}, ${varList.reduce((n, v) => n + v.size, 0)} parameters, vocab ${tokenizer.vocabSize}, ${data.pairs.item.length} pairs, backend ${backend.name}`,
  );

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
    const acc = optimizer as unknown as AdamInternals;
    const adamAcc: [number, number] | null = acc.accBeta1 && acc.accBeta2 ? [acc.accBeta1.dataSync()[0]!, acc.accBeta2.dataSync()[0]!] : null;
    const state: JobState = { config: cfg, modelConfig, sampler: sampler.state(), dropoutCalls: model.dropoutCalls, bankIds: neg ? Array.from(neg.ids) : [], bankBatch: cfg.batchSize, adamAcc };
    await saveCheckpoint(runDir, step, extra, optimizer, state);
    if (neg) tf.dispose([neg.vectors, neg.logQ]);
  };

  for (let step = start; step < cfg.steps; step++) {
    const t0 = performance.now();
    const stage: 1 | 2 = step < stage1Steps ? 1 : 2;
    const h = buildBatch(data, tokenizer, modelConfig, sampler.next(), step, cfg.seed, cfg.maskRate);
    const t = toTensors(h, modelConfig);
    const mbnsOn = !!bank && stage === 2 && activeAt(step, cfg.steps, cfg.mbns.startFraction) && bank.size > 0;
    const cdnsOn = cfg.cdns.enabled && cfg.cdns.replicas > 1 && stage === 2 && activeAt(step, cfg.steps, cfg.cdns.startFraction);
    const t1 = performance.now();
    let result: ReturnType<typeof pretrainLoss> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      result = pretrainLoss({ model, cfg, mpmTemperature, logQ, bank: mbnsOn ? bank : null, cdns: cdnsOn, stage }, t, h);
      return result.total;
    }, varList);
    const loss = (await value.data())[0]!;
    const t2 = performance.now();
    // TF.js's Adam keys its slots by position in the gradient map, so the map must list every
    // variable in the same order each step; variables a stage does not touch get zeros.
    const ordered: Record<string, tf.Tensor> = {};
    // Clip by global norm: with five tasks summed, one task's early spike (MLM over the whole
    // vocabulary) otherwise swamps the matching gradients and the vectors collapse.
    const norm = Math.sqrt(tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
    const scale = cfg.clipNorm > 0 && norm > cfg.clipNorm ? cfg.clipNorm / norm : 1;
    for (const v of varList) {
      const g = grads[v.name];
      ordered[v.name] = g ? (scale === 1 ? g : tf.mul(g, scale)) : tf.zerosLike(v);
    }
    optimizer.applyGradients(ordered as unknown as Parameters<typeof optimizer.applyGradients>[0]);
    await varList[0]!.data(); // wait for the update before timing it
    const t3 = performance.now();
    const parts: Record<string, number> = {};
    for (const [k, v] of Object.entries(result!.parts)) parts[k] = (await v.data())[0]!;
    if (bank && stage === 2) tf.tidy(() => bank.push(result!.itemVectors, tf.tensor1d(Array.from(h.items, (r) => logQ[r]!)), h.items));
    tf.dispose([value, ...Object.values(grads), ...Object.values(ordered), ...Object.values(t), ...Object.values(result!.parts), result!.itemVectors]);
    if (!Number.isFinite(loss)) throw new TrainError("BAD_OPTION", `loss became ${loss} at step ${step}; lower the learning rate (--lr)`);
    last = {
      step: step + 1,
      steps: cfg.steps,
      stage,
      loss,
      parts,
      samplesPerSec: (h.b * 1000) / (t3 - t0),
      ms: { batch: t1 - t0, forwardBackward: t2 - t1, optimizer: t3 - t2 },
      mbns: mbnsOn,
      cdns: cdnsOn,
      tensors: tf.memory().numTensors,
    };
    await appendFile(metricsPath, `${JSON.stringify(last)}\n`);
    opts.onStep?.(last);
    if ((step + 1) % cfg.checkpointEvery === 0 || step + 1 === cfg.steps) await save(step + 1);
  }
  bank?.dispose();
  return { runDir, steps: cfg.steps, model, modelConfig, tokenizer, data, backend: backend.name, lastMetrics: last };
}
