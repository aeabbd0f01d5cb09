// Fine-tuning (seed 000): the pre-trained towers stay frozen; their vectors go through a learned
// FC projection, items also get an ID embedding (known items), and a sampled softmax over many
// frequency-sampled negatives with logQ correction trains both.
//   q = l2norm(q_pre · Wq),   i = l2norm(i_pre · Wi + E[id])      (Wq, Wi start at identity, E at 0)
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { prepareBackbone } from "../backbone/index.ts";
import { createPairSampler, loadTrainingData, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import type { ModelConfig } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { Tokenizer } from "../../encoders/index.ts";
import { loadLatestCheckpoint, restoreInto } from "./checkpoint.ts";
import { createCollectiveBuffers } from "./collective.ts";
import { createFinetuneHead, finetuneLoop } from "./finetune-loop.ts";
import type { FinetuneWorkerInit } from "./finetune-worker.ts";
import { runWorkerGroup } from "./worker-group.ts";
import { chooseWorkers, shareTypedArrays } from "./workers.ts";
import { encodeItemVectors, encodeQueryVectors, hitRateAtK, queryTargets } from "./encode-all.ts";
import { localDir } from "../../lancedb/index.ts";

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
  /** Data-parallel worker threads (default 1: the step is mostly fixed costs; on resume, the checkpoint's). */
  workers?: number;
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

export interface FinetuneState {
  /** Workers the run trains on (absent in older checkpoints: 1). */
  workers?: number;
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

/** Run (or resume) fine-tuning on top of a pre-training run. */
export async function runFinetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const log = opts.log ?? (() => undefined);
  const backend = await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log });
  const runDir = opts.runDir ?? join(localDir(opts.dataDir), "runs", "finetune");
  const pretrainDir = opts.pretrainDir ?? join(localDir(opts.dataDir), "runs", "pretrain");
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
  const head = createFinetuneHead(frozen);
  const evalHit = (useFt: boolean): number | null => {
    if (data.evalPairs.item.length === 0) return null;
    const { queries, targets } = queryTargets(data.evalPairs);
    const rows = queries.map((q) => frozen.queryRow.get(q)!);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    if (!useFt) return hitRateAtK(frozen.items, Float32Array.from(rows.flatMap((r) => Array.from(frozen.queries.subarray(r * d, (r + 1) * d)))), d, targets, 10);
    const iv = tf.tidy(() => head.projectItems(all));
    const qv = tf.tidy(() => head.projectQueries(rows));
    const r = hitRateAtK(iv.dataSync() as Float32Array, qv.dataSync() as Float32Array, d, targets, 10);
    tf.dispose([iv, qv]);
    return r;
  };
  const before = evalHit(false);
  // One worker unless asked: the step is mostly work that sharding does not shrink (the shared
  // negatives' projection, the item-ID table's gradient, Adam): 2 workers gained 1.1× at batch 128
  // and 1.2–1.4× at 1,024 (BENCHMARKS.md).
  const workers = chooseWorkers(opts.workers, ckpt ? (ckpt.state.workers ?? 1) : undefined, 1, s.batchSize, log);
  const state: FinetuneState = { ...s, workers };
  if (ckpt) log(`resuming ${runDir} at step ${ckpt.step} of ${s.steps}`);
  log(`finetune: ${s.steps} steps of ${s.batchSize} pairs and ${s.negatives} negatives, backend ${backend.name}, ${workers} worker${workers === 1 ? "" : "s"}`);
  let lastLoss: number | null;
  if (workers === 1) {
    lastLoss = await finetuneLoop({ s: state, head, frozen, pairs: data.pairs, itemFrequency: data.itemFrequency, ckpt, group: null, runDir, ...(opts.onStep ? { onStep: opts.onStep } : {}) });
  } else {
    const buffers = createCollectiveBuffers({ world: workers, gradSize: [...head.vars.values()].reduce((a, v) => a + v.size, 0), rows: 1, rowDim: 1, scalars: 1 });
    const shared = { frozen: shareTypedArrays(frozen), pairs: shareTypedArrays(data.pairs), itemFrequency: shareTypedArrays(data.itemFrequency) };
    lastLoss = await runWorkerGroup<FinetuneWorkerInit, number | null>({
      entry: new URL("./finetune-worker.ts", import.meta.url),
      buffers,
      init: (rank) => ({ rank, buffers, backend: backend.name, runDir, s: state, ckpt, ...shared }),
      onLog: log,
      ...(opts.onStep ? { onProgress: (m: unknown) => opts.onStep!(m as { step: number; steps: number; loss: number }) } : {}),
    });
    // The last step always writes a checkpoint: the trained head comes back through it.
    const final = await loadLatestCheckpoint<FinetuneState>(runDir);
    if (!final || final.step !== s.steps) throw new TrainError("BAD_CHECKPOINT", `the workers finished but ${runDir} holds no checkpoint of step ${s.steps}`);
    await restoreInto(tf, final, head.vars, null);
  }
  const after = evalHit(true);
  head.dispose();
  return { runDir, steps: s.steps, hitRate10: { before, after }, lastLoss };
}
