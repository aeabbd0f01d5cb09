// Entry of one fine-tuning worker thread (started by train/finetune.ts through worker-group.ts):
// its own TF.js backend, the frozen vectors and pairs in shared memory, and finetuneLoop on its
// shard of each batch. Rank 0 posts step metrics and writes checkpoints.
import type { TrainingPairs } from "../data/index.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import type { LoadedCheckpoint } from "./checkpoint.ts";
import { Collective, type CollectiveBuffers } from "./collective.ts";
import type { FinetuneState } from "./finetune.ts";
import { createFinetuneHead, finetuneLoop, type FrozenVectors } from "./finetune-loop.ts";
import { workerMain } from "./worker-group.ts";

/** A fine-tuning worker's start message. */
export interface FinetuneWorkerInit {
  /** This worker's rank. */
  rank: number;
  /** The group's shared memory. */
  buffers: CollectiveBuffers;
  /** The backend the coordinator selected. */
  backend: BackendName;
  /** Run folder (rank 0 writes metrics and checkpoints there). */
  runDir: string;
  /** The run's settings. */
  s: FinetuneState;
  /** Frozen pre-trained vectors (shared memory). */
  frozen: FrozenVectors;
  /** Training pairs. */
  pairs: TrainingPairs;
  /** Q(item) per catalog row. */
  itemFrequency: Float32Array;
  /** Checkpoint to continue from. */
  ckpt: LoadedCheckpoint<FinetuneState> | null;
}

await workerMain<FinetuneWorkerInit, number | null>(async ({ init, progress }) => {
  await selectBackend({ prefer: init.backend });
  const head = createFinetuneHead(init.frozen);
  const lead = init.rank === 0;
  const last = await finetuneLoop({
    s: init.s,
    head,
    frozen: init.frozen,
    pairs: init.pairs,
    itemFrequency: init.itemFrequency,
    ckpt: init.ckpt,
    group: new Collective(init.buffers, init.rank),
    runDir: init.runDir,
    ...(lead ? { onStep: (m: { step: number; steps: number; loss: number }) => progress(m) } : {}),
  });
  head.dispose();
  return last;
});
