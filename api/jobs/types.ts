// The jobs contract (DESIGN §7) between the HTTP layer and the job manager behind it. Types only:
// the edge Worker and the SDK see this file, never the Node manager.
import type { JobConfig, JobKind, JobState } from "./schemas.ts";

export type { JobConfig, JobKind, JobState } from "./schemas.ts";

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

/** One event of jobs.watch: a fresh copy of the record, and a log line when one came. */
export interface JobEvent {
  /** What changed. */
  type: "snapshot" | "state" | "stage" | "progress" | "log";
  /** The record after the change. */
  job: JobRecord;
  /** The log line, for type "log". */
  line?: string;
}

/** What the API needs from a job manager. */
export interface JobsService {
  /** Queue a job; it starts when the compute slot is free. */
  trigger(kind: JobKind, config: JobConfig, triggeredBy: string | null): Promise<JobRecord>;
  /** A job by id (NOT_FOUND when unknown). */
  get(id: string): Promise<JobRecord>;
  /** Jobs, newest first. */
  list(opts?: { limit?: number; state?: JobState }): Promise<JobRecord[]>;
  /** Stop a queued or running job. */
  cancel(id: string): Promise<JobRecord>;
  /** Continue a failed or interrupted job from its last checkpoint. */
  resume(id: string): Promise<JobRecord>;
  /** The last lines of a job's log. */
  logs(id: string, tail?: number): Promise<string[]>;
  /** Events of a job until it reaches a terminal state (or the signal aborts). */
  watch(id: string, signal?: AbortSignal): AsyncIterable<JobEvent>;
  /** Stop accepting work; running children are left to the records (marked on next start). */
  close(): Promise<void>;
}
