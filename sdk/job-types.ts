// The SDK's public job types (jobs.trigger, get, list, watch), written out in full like
// sdk/types.ts; test/sdk-types.test.ts checks them against the server's AppRouter.

/** Job kinds. retrain = pretrain → finetune → export → embed → eval → publish. */
export type JobKind = "pretrain" | "finetune" | "export" | "embed" | "eval" | "publish" | "retrain";
/** Where a job is in its life (`interrupted`: the API stopped while it ran; resume it). */
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
/** Metrics the eval gate can compare (on unseen held-out pairs). */
export type GateMetric = "recall@10" | "recall@50" | "recall@100" | "recall@200" | "hitrate@10" | "hitrate@100" | "ndcg@10";

/** Job configuration; each kind reads the sections it needs. Unknown keys are refused by the server. */
export interface JobConfig {
  /** Model preset: tiny (tests), cpu (2 cores), base (GPU). */
  preset?: "tiny" | "cpu" | "base" | undefined;
  /** Force a TF.js backend. */
  backend?: "node-gpu" | "node" | "wasm" | "cpu" | undefined;
  pretrain?:
    | {
        steps?: number | undefined;
        batchSize?: number | undefined;
        lr?: number | undefined;
        seed?: number | undefined;
        fusion?: "text" | "concat" | "fusion" | undefined;
        mpm?: "contrastive" | "regression" | undefined;
        mbns?: boolean | undefined;
        cdns?: boolean | undefined;
        stage1Fraction?: number | undefined;
        checkpointEvery?: number | undefined;
      }
    | undefined;
  finetune?:
    | {
        /** 0 skips fine-tuning. */
        steps?: number | undefined;
        batchSize?: number | undefined;
        negatives?: number | undefined;
        lr?: number | undefined;
        seed?: number | undefined;
        checkpointEvery?: number | undefined;
      }
    | undefined;
  export?: { samples?: number | undefined } | undefined;
  embed?: { batchSize?: number | undefined } | undefined;
  gate?:
    | {
        /** Metrics compared against the active release on unseen held-out pairs; each must hold (default ndcg@10 and recall@100). */
        metrics?: GateMetric[] | undefined;
        /** Largest drop allowed per metric, absolute (0.01 = one point). */
        tolerance?: number | undefined;
        /** Fewest unseen held-out pairs the gate decides on (default 30); fewer → refused unless force. */
        minPairs?: number | undefined;
        /** Publish even when the gate refuses (the decision is still recorded). */
        force?: boolean | undefined;
      }
    | undefined;
  publish?:
    | {
        /** Length of the precomputed qid lists. */
        topK?: number | undefined;
        /** Make the new release active (default true). */
        activate?: boolean | undefined;
        /** Then push it to the edge's Workers KV (credentials from the API's environment). */
        edge?: boolean | undefined;
      }
    | undefined;
}

/** Filters of jobs.list. */
export interface ListJobsOptions {
  /** At most this many (default 100). */
  limit?: number | undefined;
  /** Only jobs in this state. */
  state?: JobState | undefined;
}

/** One pipeline stage. */
export type StageName = "pretrain" | "finetune" | "export" | "embed" | "eval" | "publish";

/** A stage's record. */
export interface StageRecord {
  /** The stage. */
  name: StageName;
  /** pending → running → succeeded | failed | skipped (publish refused by the eval gate). */
  state: "pending" | "running" | "succeeded" | "failed" | "skipped";
  /** ISO times. */
  startedAt: string | null;
  finishedAt: string | null;
  /** Numbers the stage reported at its end (losses, hit rates, items/s, Recall@K, ...). */
  metrics: Record<string, number | string | null>;
}

/** Live progress of the running stage. */
export interface JobProgress {
  /** The stage reporting. */
  stage: StageName;
  /** Units done and in all (steps, items, release stages). */
  done: number;
  total: number;
  /** What the units are. */
  unit: string;
  /** Units per second, when the stage measures it. */
  rate: number | null;
  /** Extra live numbers (loss, ...). */
  detail: Record<string, number | string>;
}

/** One metric the gate compared. */
export interface GateCheck {
  /** The metric, e.g. "ndcg@10". */
  metric: string;
  /** The candidate's value on the gate's slice. */
  candidate: number;
  /** The active release's value, or null when none was active. */
  active: number | null;
  /** Whether the candidate is within tolerance of the active release on it. */
  passed: boolean;
}

/** What the eval gate decided before publishing. */
export interface GateDecision {
  /** The slice decided on: "unseen pairs" (held-out pairs never in the training clicks). */
  slice: string;
  /** Each metric compared (default NDCG@10 and Recall@100). */
  checks: GateCheck[];
  /** Held-out (query, item) pairs in the slice: below the minimum the gate does not decide. */
  pairs: number;
  /** The candidate, published inactive and scored exactly as it would serve. */
  candidateRelease: string | null;
  /** The active release compared against. */
  activeRelease: string | null;
  /** Largest drop allowed per metric (absolute). */
  tolerance: number;
  /** Whether the candidate may be published. */
  passed: boolean;
  /** Published although refused (gate.force). */
  forced: boolean;
  /** One sentence for people. */
  message: string;
}

/** A job's record (state, stages, progress, gate, release). */
export interface JobRecord {
  /** Job id, e.g. j20261122-071500-ab12. */
  id: string;
  /** What it runs. */
  kind: JobKind;
  /** Its configuration as triggered (defaults filled in by the job itself). */
  config: JobConfig;
  state: JobState;
  /** ISO times. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The stages, in order, with their state and metrics. */
  stages: StageRecord[];
  /** Latest progress report of the running stage. */
  progress: JobProgress | null;
  /** The eval gate's decision (retrain). */
  gate: GateDecision | null;
  /** The release the job published, if any. */
  release: string | null;
  /** Why it failed, was cancelled or interrupted. */
  error: string | null;
  /** Times it was started (1 + resumes). */
  attempts: number;
  /** OS process id of the running job process (null when none runs). */
  pid: number | null;
  /** Exit of the last process: code or signal. */
  exit: { code: number | null; signal: string | null } | null;
  /** Whether jobs.resume may continue it. */
  resumable: boolean;
  /** Who triggered it (API key id). */
  triggeredBy: string | null;
}

/** One event of jobs.watch: a fresh copy of the record, and a log line when one came. */
export interface JobEvent {
  /** What changed. */
  type: "snapshot" | "state" | "stage" | "progress" | "log";
  /** The record after the change. */
  job: JobRecord;
  /** The log line, for type "log". */
  line?: string;
}
