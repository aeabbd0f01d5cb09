// The jobs contract (DESIGN §7): what the job manager (api/jobs) and the job process (gpu-jobs/jobs)
// both know — a job's record, its stages, live progress and the eval gate's decision. It lives in
// core because the two sides are separate processes that may not import each other (DESIGN §1).
// Runtime-agnostic: the edge Worker and the SDK see it too.
import type { JobConfig, JobKind, JobState } from "./schemas.ts";

/** Terminal states: nothing more happens to the job unless it is resumed. */
export const TERMINAL_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled", "interrupted"];

/** Stages of each job kind, in order (retrain runs them all). */
export const JOB_STAGES: Record<JobKind, readonly StageName[]> = {
  pretrain: ["pretrain"],
  finetune: ["finetune"],
  export: ["export"],
  embed: ["embed"],
  eval: ["eval"],
  publish: ["publish"],
  retrain: ["pretrain", "finetune", "export", "embed", "eval", "publish"],
};

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

/** A job as the API returns it (also its job.json on disk). */
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
