// What the HTTP layer needs from a job manager, the events jobs.watch streams and the error it
// maps to statuses: the jobs contract of api/, runtime-agnostic, so api/http imports this file
// rather than index.ts. The records these carry are the jobs contract in core/jobs/ (shared with
// the job process).
import type { JobConfig, JobKind, JobRecord, JobState } from "../../core/jobs/index.ts";

export { JobError, type JobErrorCode } from "./errors.ts";

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
