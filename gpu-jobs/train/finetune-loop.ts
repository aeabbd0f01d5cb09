// Fine-tuning's head (seed 000: FC projections + item-ID embeddings over the frozen pre-trained
// vectors) and its steps, alone or as one of N data-parallel workers (train/finetune-worker.ts).
// Every worker draws the same batch of pairs and the same sampled negatives and trains on its shard
// of the pairs; gradients are averaged through train/collective.ts and each worker applies the mean
// with its own Adam. A row's sampled-softmax loss depends only on its query, its positive and the
// shared negatives, so N workers optimise exactly the one-worker objective.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { stream, weightedIndexSampler } from "../../core/index.ts";
import { createPairSampler, type TrainingPairs } from "../data/index.ts";
import { sampledSoftmaxLoss } from "../losses/index.ts";
import { splitReplicas } from "../negatives/index.ts";
import { dense, embeddingLookup } from "../tf/fast-ops.ts";
import { restoreInto, saveCheckpoint, type LoadedCheckpoint } from "./checkpoint.ts";
import type { Collective } from "./collective.ts";
import type { FinetuneState } from "./finetune.ts";

/** Pre-trained vectors of every item and every distinct query (training + eval). */
export interface FrozenVectors {
  /** Vector dimension. */
  dim: number;
  /** [items × dim], row i for catalog item i. */
  items: Float32Array;
  /** [queries × dim]. */
  queries: Float32Array;
  /** Row of each query in `queries`. */
  queryRow: Map<string, number>;
}

/** The trained head over the frozen vectors. */
export interface FinetuneHead {
  /** ft/wq, ft/wi, ft/item_id (the names the export reads). */
  vars: Map<string, tf.Variable>;
  /** Fine-tuned item vectors of catalog rows (call inside tidy or a gradient scope). */
  projectItems(rows: Int32Array): tf.Tensor2D;
  /** Fine-tuned query vectors of query rows (call inside tidy or a gradient scope). */
  projectQueries(rows: number[]): tf.Tensor2D;
  /** Release the variables and the frozen item table. */
  dispose(): void;
}

function l2(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D;
}

/** The head at its start: projections at identity, item-ID embeddings at 0. */
export function createFinetuneHead(frozen: FrozenVectors): FinetuneHead {
  const d = frozen.dim;
  const n = frozen.items.length / d;
  const itemPre = tf.tensor2d(frozen.items, [n, d]);
  const eye = tf.eye(d);
  const vars = new Map<string, tf.Variable>([
    ["ft/wq", tf.variable(eye.clone())],
    ["ft/wi", tf.variable(eye.clone())],
    ["ft/item_id", tf.variable(tf.zeros([n, d]))],
  ]);
  eye.dispose();
  const W = (k: string) => vars.get(k)! as unknown as tf.Tensor2D;
  return {
    vars,
    projectItems: (rows) => {
      const ids = tf.tensor1d(rows, "int32");
      return l2(tf.add(dense(embeddingLookup(itemPre, ids) as tf.Tensor2D, W("ft/wi")), embeddingLookup(W("ft/item_id"), ids)) as tf.Tensor2D);
    },
    projectQueries: (rows) => {
      const flat = new Float32Array(rows.length * d);
      rows.forEach((r, i) => flat.set(frozen.queries.subarray(r * d, (r + 1) * d), i * d));
      return l2(dense(tf.tensor2d(flat, [rows.length, d]), W("ft/wq")) as tf.Tensor2D);
    },
    dispose: () => tf.dispose([itemPre, ...vars.values()]),
  };
}

/** What finetuneLoop needs. */
export interface FinetuneLoopOptions {
  /** The run's settings (and sampler position to resume from). */
  s: FinetuneState;
  /** The head to train (its variables are restored from ckpt). */
  head: FinetuneHead;
  /** The frozen vectors the head projects. */
  frozen: FrozenVectors;
  /** Training pairs. */
  pairs: TrainingPairs;
  /** Q(item) per catalog row. */
  itemFrequency: Float32Array;
  /** Checkpoint to continue from. */
  ckpt: LoadedCheckpoint<FinetuneState> | null;
  /** This worker's handle on its group; null when training alone. */
  group: Collective | null;
  /** Run folder: metrics.jsonl and checkpoints (rank 0). */
  runDir: string;
  /** Called after every step (rank 0). */
  onStep?: (m: { step: number; steps: number; loss: number }) => void;
}

/** Run the steps from the checkpoint (or 0) to s.steps; resolves to the last step's loss (null when none ran). */
export async function finetuneLoop(o: FinetuneLoopOptions): Promise<number | null> {
  const { s, head, frozen, pairs, ckpt, group } = o;
  const world = group?.world ?? 1;
  const own = splitReplicas(s.batchSize, world)[group?.rank ?? 0]!;
  const varList = [...head.vars.values()];
  const optimizer = tf.train.adam(s.lr);
  const sampler = createPairSampler({ n: pairs.item.length, batchSize: s.batchSize, seed: s.seed, weights: pairs.weight });
  const freq = o.itemFrequency;
  let start = 0;
  if (ckpt) {
    await restoreInto(tf, ckpt, head.vars, optimizer);
    sampler.fromState(ckpt.state.sampler);
    start = ckpt.step;
  }
  const metricsPath = join(o.runDir, "metrics.jsonl");
  let lastLoss: number | null = null;
  for (let step = start; step < s.steps; step++) {
    const idx = sampler.next(); // every worker draws the same pairs and negatives
    const mine = world === 1 ? idx : idx.subarray(own.start, own.end);
    const rng = stream(s.seed, `negatives:${step}`);
    const draw = weightedIndexSampler(freq, () => rng.next());
    const negRows = Int32Array.from({ length: s.negatives }, draw);
    const posRows = Int32Array.from(mine, (p) => pairs.item[p]!);
    const qRows = Array.from(mine, (p) => frozen.queryRow.get(pairs.query[p]!)!);
    const { value, grads } = tf.variableGrads(() => {
      const q = head.projectQueries(qRows);
      const pos = head.projectItems(posRows);
      const neg = head.projectItems(negRows);
      // log Q of a sampled negative: log of its expected count in the sample (S · frequency).
      return sampledSoftmaxLoss(q, pos, neg, tf.tensor1d(Array.from(posRows, (r) => Math.log(freq[r]!))), tf.tensor1d(Array.from(negRows, (r) => Math.log(s.negatives * freq[r]!))), {
        temperature: s.temperature,
        posIds: posRows,
        negIds: negRows,
      });
    }, varList);
    lastLoss = (await value.data())[0]!;
    const ordered: Record<string, tf.Tensor> = {};
    if (!group) {
      for (const v of varList) ordered[v.name] = grads[v.name] ?? tf.zerosLike(v);
    } else {
      group.writeGradients(step, varList, (name) => (grads[name]?.dataSync() as Float32Array | undefined) ?? null);
      group.writeScalars(step, [lastLoss]);
      const mean = group.allReduceMean(step);
      let at = 0;
      for (const v of varList) {
        ordered[v.name] = tf.tensor(mean.subarray(at, at + v.size), v.shape);
        at += v.size;
      }
      lastLoss = group.readScalars(step).reduce((sum, x) => sum + x[0]!, 0) / world;
    }
    optimizer.applyGradients(ordered as unknown as Parameters<typeof optimizer.applyGradients>[0]);
    tf.dispose([value, ...Object.values(grads), ...Object.values(ordered)]);
    if (group && group.rank !== 0) continue;
    appendFileSync(metricsPath, `${JSON.stringify({ step: step + 1, loss: lastLoss })}\n`); // synchronous, as in pretrain-loop.ts: an awaited append stalls the group
    o.onStep?.({ step: step + 1, steps: s.steps, loss: lastLoss });
    if ((step + 1) % s.checkpointEvery === 0 || step + 1 === s.steps) await saveCheckpoint(o.runDir, step + 1, head.vars, optimizer, { ...s, sampler: sampler.state() });
  }
  optimizer.dispose();
  return lastLoss;
}
