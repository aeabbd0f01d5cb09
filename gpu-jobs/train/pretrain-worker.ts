// Entry of one pre-training worker thread (started by train/pretrain.ts through worker-group.ts):
// its own TF.js backend, the run's data and tokenizer, and trainLoop on its shard of each global
// batch with the group's shared memory. Rank 0 posts log lines and step metrics.
import { Tokenizer } from "../../encoders/index.ts";
import type { TrainingData } from "../data/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import type { LoadedCheckpoint } from "./checkpoint.ts";
import { Collective, type CollectiveBuffers } from "./collective.ts";
import type { PretrainConfig } from "./pretrain-config.ts";
import { trainLoop, type JobState, type StepMetrics } from "./pretrain-loop.ts";
import { workerMain } from "./worker-group.ts";

/** A pre-training worker's start message. */
export interface PretrainWorkerInit {
  /** This worker's rank. */
  rank: number;
  /** The group's shared memory. */
  buffers: CollectiveBuffers;
  /** The backend the coordinator selected: every replica computes the same way. */
  backend: BackendName;
  /** Run folder (rank 0 writes metrics and checkpoints there). */
  runDir: string;
  /** The run's config. */
  cfg: PretrainConfig;
  /** The model's config. */
  modelConfig: ModelConfig;
  /** The run's tokenizer (its JSON text). */
  tokenizer: string;
  /** Training data (thumbnails in shared memory). */
  data: TrainingData;
  /** Checkpoint to continue from. */
  ckpt: LoadedCheckpoint<JobState> | null;
}

await workerMain<PretrainWorkerInit, StepMetrics | null>(async ({ init, log, progress }) => {
  await selectBackend({ prefer: init.backend });
  const lead = init.rank === 0;
  const { model, last } = await trainLoop({
    runDir: init.runDir,
    cfg: init.cfg,
    modelConfig: init.modelConfig,
    data: init.data,
    tokenizer: Tokenizer.fromJSON(init.tokenizer),
    ckpt: init.ckpt,
    group: new Collective(init.buffers, init.rank),
    log: lead ? log : () => undefined,
    ...(lead ? { onStep: (m: StepMetrics) => progress(m) } : {}),
  });
  model.dispose();
  return last;
});
