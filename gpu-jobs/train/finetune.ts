// Fine-tuning (seed 000): the pre-trained towers stay frozen; their vectors go through a learned
// FC projection, items also get an ID embedding (known items), and a sampled softmax over many
// frequency-sampled negatives with logQ correction trains both.
//   q = l2norm(q_pre · Wq),   i = l2norm(i_pre · Wi + E[id])      (Wq, Wi start at identity, E at 0)
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { stream, weightedIndexSampler } from "../../core/index.ts";
import { prepareBackbone } from "../backbone/index.ts";
import { createPairSampler, loadTrainingData, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import { sampledSoftmaxLoss } from "../losses/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { dense, embeddingLookup } from "../tf/fast-ops.ts";
import { Tokenizer } from "../../encoders/index.ts";
import { loadLatestCheckpoint, restoreInto, saveCheckpoint } from "./checkpoint.ts";
import { encodeItemVectors, encodeQueryVectors, hitRateAtK, queryTargets } from "./encode-all.ts";

/** Fine-tuning options. */
export interface FinetuneOptions {
  /** Data directory a `vitrine import` completed in. */
  dataDir: string;
  /** The pre-training run to start from (default `<dataDir>/runs/pretrain`). */
  pretrainDir?: string;
  /** This run's folder (default `<dataDir>/runs/finetune`). */
  runDir?: string;
  /** Optimiser steps (default 300). */
  steps?: number;
  /** Pairs per step (default 128). */
  batchSize?: number;
  /** Sampled negatives per step, drawn ∝ click frequency (default 512). */
  negatives?: number;
  /** Adam learning rate (default 5e-3). */
  lr?: number;
  /** Softmax temperature over cosines (default 0.05). */
  temperature?: number;
  /** Seed of sampling (default 1). */
  seed?: number;
  /** Checkpoint every N steps (default 100). */
  checkpointEvery?: number;
  /** Continue from the newest checkpoint of runDir. */
  resume?: boolean;
  /** Force a TF.js backend. */
  backend?: BackendName;
  /** The pre-training run's image encoder at another path than it recorded (must be the same model and JSON). */
  imageEncoder?: string;
  /** Called after every step. */
  onStep?: (m: { step: number; steps: number; loss: number }) => void;
  /** Log lines. */
  log?: (msg: string) => void;
}

/** What a fine-tuning run reports. */
export interface FinetuneResult {
  runDir: string;
  steps: number;
  /** Held-out HitRate@10 with the pre-trained vectors and after fine-tuning (null without eval clicks). */
  hitRate10: { before: number | null; after: number | null };
  lastLoss: number | null;
}

interface FinetuneState {
  steps: number;
  batchSize: number;
  negatives: number;
  lr: number;
  temperature: number;
  seed: number;
  checkpointEvery: number;
  sampler: ReturnType<ReturnType<typeof createPairSampler>["state"]>;
}

/** Pre-trained vectors of every item and every distinct query (training + eval). */
async function frozenVectors(pretrainDir: string, data: TrainingData, opts: FinetuneOptions) {
  const ck = await loadLatestCheckpoint<{ modelConfig: ModelConfig }>(pretrainDir);
  if (!ck) throw new TrainError("BAD_CHECKPOINT", `no pre-training checkpoint in ${pretrainDir}; run \`vitrine pretrain\` first`);
  // The run's image backbone features (cached by pre-training) when it was trained on one.
  await prepareBackbone(opts.dataDir, data.items, {
    recorded: ck.state.modelConfig.backbone ?? null,
    given: opts.imageEncoder,
    grid: data.items.grid,
    what: `the run in ${pretrainDir}`,
    ...(opts.log ? { log: opts.log } : {}),
  });
  const tokenizer = Tokenizer.fromJSON(await readFile(join(pretrainDir, "tokenizer.json"), "utf8"));
  const model = createModel(ck.state.modelConfig);
  await restoreInto(tf, ck, model.variables, null);
  const items = encodeItemVectors(model, tokenizer, data.items);
  const queries = [...new Set([...data.pairs.query, ...data.evalPairs.query])];
  const qv = encodeQueryVectors(model, tokenizer, queries);
  model.dispose();
  return { dim: ck.state.modelConfig.dim, items, queryRow: new Map(queries.map((q, i) => [q, i])), queries: qv };
}

function l2(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D;
}

/** Run (or resume) fine-tuning on top of a pre-training run. */
export async function runFinetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const log = opts.log ?? (() => undefined);
  await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log });
  const runDir = opts.runDir ?? join(opts.dataDir, "runs", "finetune");
  const pretrainDir = opts.pretrainDir ?? join(opts.dataDir, "runs", "pretrain");
  const ckpt = opts.resume ? await loadLatestCheckpoint<FinetuneState>(runDir) : null;
  if (!ckpt) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const s: FinetuneState = ckpt?.state ?? {
    steps: opts.steps ?? 300,
    batchSize: opts.batchSize ?? 128,
    negatives: opts.negatives ?? 512,
    lr: opts.lr ?? 5e-3,
    temperature: opts.temperature ?? 0.05,
    seed: opts.seed ?? 1,
    checkpointEvery: opts.checkpointEvery ?? 100,
    sampler: { epoch: 0, cursor: 0, seed: opts.seed ?? 1, n: 0 },
  };
  const data = await loadTrainingData(opts.dataDir, { thumbs: true, log });
  const n = data.items.ids.length;
  // Names the rows of ft/item_id for the export (the item-ID embeddings travel with the model).
  await writeFile(join(runDir, "item-ids.json"), JSON.stringify(data.items.ids));
  const frozen = await frozenVectors(pretrainDir, data, opts);
  const d = frozen.dim;
  const itemPre = tf.tensor2d(frozen.items, [n, d]);
  const eye = tf.eye(d);
  const vars = new Map<string, tf.Variable>([
    ["ft/wq", tf.variable(eye.clone())],
    ["ft/wi", tf.variable(eye.clone())],
    ["ft/item_id", tf.variable(tf.zeros([n, d]))],
  ]);
  eye.dispose();
  const varList = [...vars.values()];
  const optimizer = tf.train.adam(s.lr);
  const sampler = createPairSampler({ n: data.pairs.item.length, batchSize: s.batchSize, seed: s.seed, weights: data.pairs.weight });
  const freq = data.itemFrequency;
  let start = 0;
  if (ckpt) {
    await restoreInto(tf, ckpt, vars, optimizer);
    sampler.fromState(s.sampler);
    start = ckpt.step;
    log(`resuming ${runDir} at step ${start} of ${s.steps}`);
  }
  const W = (k: string) => vars.get(k)! as unknown as tf.Tensor2D;
  // Call inside a tidy or variableGrads scope.
  const projectItems = (rows: Int32Array): tf.Tensor2D => {
    const ids = tf.tensor1d(rows, "int32");
    return l2(tf.add(dense(embeddingLookup(itemPre, ids) as tf.Tensor2D, W("ft/wi")), embeddingLookup(W("ft/item_id"), ids)) as tf.Tensor2D);
  };
  const projectQueries = (rows: number[]): tf.Tensor2D => {
    const flat = new Float32Array(rows.length * d);
    rows.forEach((r, i) => flat.set(frozen.queries.subarray(r * d, (r + 1) * d), i * d));
    return l2(dense(tf.tensor2d(flat, [rows.length, d]), W("ft/wq")) as tf.Tensor2D);
  };
  const evalHit = (useFt: boolean): number | null => {
    if (data.evalPairs.item.length === 0) return null;
    const { queries, targets } = queryTargets(data.evalPairs);
    const rows = queries.map((q) => frozen.queryRow.get(q)!);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    if (!useFt) return hitRateAtK(frozen.items, Float32Array.from(rows.flatMap((r) => Array.from(frozen.queries.subarray(r * d, (r + 1) * d)))), d, targets, 10);
    const iv = tf.tidy(() => projectItems(all));
    const qv = tf.tidy(() => projectQueries(rows));
    const r = hitRateAtK(iv.dataSync() as Float32Array, qv.dataSync() as Float32Array, d, targets, 10);
    tf.dispose([iv, qv]);
    return r;
  };
  const before = evalHit(false);
  const metricsPath = join(runDir, "metrics.jsonl");
  let lastLoss: number | null = null;
  for (let step = start; step < s.steps; step++) {
    const idx = sampler.next();
    const rng = stream(s.seed, `negatives:${step}`);
    const draw = weightedIndexSampler(freq, () => rng.next());
    const negRows = Int32Array.from({ length: s.negatives }, draw);
    const posRows = Int32Array.from(idx, (p) => data.pairs.item[p]!);
    const qRows = Array.from(idx, (p) => frozen.queryRow.get(data.pairs.query[p]!)!);
    const { value, grads } = tf.variableGrads(() => {
      const q = projectQueries(qRows);
      const pos = projectItems(posRows);
      const neg = projectItems(negRows);
      // log Q of a sampled negative: log of its expected count in the sample (S · frequency).
      return sampledSoftmaxLoss(q, pos, neg, tf.tensor1d(Array.from(posRows, (r) => Math.log(freq[r]!))), tf.tensor1d(Array.from(negRows, (r) => Math.log(s.negatives * freq[r]!))), {
        temperature: s.temperature,
        posIds: posRows,
        negIds: negRows,
      });
    }, varList);
    lastLoss = (await value.data())[0]!;
    const ordered: Record<string, tf.Tensor> = {};
    for (const v of varList) ordered[v.name] = grads[v.name] ?? tf.zerosLike(v);
    optimizer.applyGradients(ordered as unknown as Parameters<typeof optimizer.applyGradients>[0]);
    tf.dispose([value, ...Object.values(grads), ...Object.values(ordered)]);
    await appendFile(metricsPath, `${JSON.stringify({ step: step + 1, loss: lastLoss })}\n`);
    opts.onStep?.({ step: step + 1, steps: s.steps, loss: lastLoss });
    if ((step + 1) % s.checkpointEvery === 0 || step + 1 === s.steps) await saveCheckpoint(runDir, step + 1, vars, optimizer, { ...s, sampler: sampler.state() });
  }
  const after = evalHit(true);
  tf.dispose([itemPre, ...varList]);
  optimizer.dispose();
  return { runDir, steps: s.steps, hitRate10: { before, after }, lastLoss };
}
