// A job record's changes as pure functions (DESIGN §7): each takes the record, what happened and
// the time, and returns the next record, or throws JobError("CONFLICT") when the record's state
// does not allow it. The manager (job-manager.ts) keeps the queue, the processes, persistence and
// watchers, and changes records only through here, so the rules live in one place and are tested
// as a table (job-transitions.test.ts). Records are never mutated: the manager hands snapshots of
// them to the disk and to watchers.
//
//   queued ──start──▶ running ──exit──▶ succeeded | failed | cancelled | interrupted
//     │                  │ (orphaned: the API restarted while it ran ▶ interrupted)
//     └──cancel──▶ cancelled          failed | cancelled | interrupted ──resume──▶ queued
import { JOB_STAGES, TERMINAL_STATES, type ChildEvent, type JobConfig, type JobKind, type JobRecord, type StageRecord } from "../../core/jobs/index.ts";
import { JobError } from "./errors.ts";

/** How a job process ended, as its runner saw it. */
export type JobExit = NonNullable<JobRecord["exit"]>;

/** What can happen to a job. */
export type JobTransition =
  /** The compute slot takes the job from the queue (queued → running). */
  | { type: "start" }
  /** The runner started its process (running; records the pid). */
  | { type: "spawned"; pid: number | null }
  /** Its process reported a stage, progress, the gate's decision or a release (running). */
  | { type: "report"; event: ChildEvent }
  /**
   * Its process ended (running → a terminal state). `stoppedBy` is the manager's: "cancel" when a
   * cancel was asked for, "shutdown" when the manager was closing, null when the process ended by
   * itself. `logTail`: the last log lines, for the reason of a failure (default none).
   */
  | { type: "exit"; exit: JobExit; stoppedBy: "cancel" | "shutdown" | null; logTail?: readonly string[] }
  /** The manager opened and found it running: the API stopped under it (running → interrupted). */
  | { type: "orphaned" }
  /** A cancel request: a queued job is cancelled; a running one is unchanged until its process exits. */
  | { type: "cancel" }
  /** A resume request (a resumable failed, cancelled or interrupted job → queued). */
  | { type: "resume" };

/** What a new job is made of. */
export interface NewJob {
  /** Job id (job-store.ts newJobId). */
  id: string;
  /** What it runs. */
  kind: JobKind;
  /** Its configuration as triggered. */
  config: JobConfig;
  /** Who triggered it (API key id). */
  triggeredBy: string | null;
}

/** A freshly triggered job: queued, every stage of its kind pending. */
export function newJobRecord(init: NewJob, now: string): JobRecord {
  return {
    id: init.id,
    kind: init.kind,
    config: init.config,
    state: "queued",
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    stages: JOB_STAGES[init.kind].map((name) => ({ name, state: "pending", startedAt: null, finishedAt: null, metrics: {} })),
    progress: null,
    gate: null,
    release: null,
    error: null,
    attempts: 0,
    pid: null,
    exit: null,
    resumable: false,
    triggeredBy: init.triggeredBy,
  };
}

const conflict = (job: JobRecord, only: string): JobError => new JobError("CONFLICT", `job ${job.id} is ${job.state}; ${only}`);

/** The stages with each one in `from` set to `to` (a new array; the others are shared). */
function moveStages(job: JobRecord, from: readonly StageRecord["state"][], to: StageRecord["state"]): StageRecord[] {
  return job.stages.map((s) => (from.includes(s.state) ? { ...s, state: to } : s));
}

/**
 * The record after `t` happened at `now` (ISO time). Returns `job` itself when nothing changes: a
 * cancel of a running job (the record changes when its process exits), a report of a stage the job
 * does not have, an event kind this version does not know.
 */
export function transition(job: JobRecord, t: JobTransition, now: string): JobRecord {
  switch (t.type) {
    case "start":
      if (job.state !== "queued") throw conflict(job, "only a queued job can start");
      // startedAt stays the first start's: a resumed job keeps when it began.
      return { ...job, state: "running", startedAt: job.startedAt ?? now, finishedAt: null, attempts: job.attempts + 1, exit: null, error: null, resumable: false };
    case "spawned":
      if (job.state !== "running") throw conflict(job, "only a running job has a process");
      return { ...job, pid: t.pid };
    case "report":
      if (job.state !== "running") throw conflict(job, "only a running job's process reports");
      return report(job, t.event, now);
    case "exit":
      if (job.state !== "running") throw conflict(job, "only a running job's process can exit");
      return exited(job, t, now);
    case "orphaned":
      if (job.state !== "running") throw conflict(job, "only a running job can be left behind by the API");
      return {
        ...job,
        state: "interrupted",
        finishedAt: now,
        error: `the API stopped while this job was running (attempt ${job.attempts}); resume it with jobs.resume`,
        resumable: true,
        progress: null,
        pid: null,
        stages: moveStages(job, ["running"], "failed"),
      };
    case "cancel":
      if (job.state === "running") return job;
      if (job.state !== "queued") throw conflict(job, "only queued or running jobs can be cancelled");
      // Cancelled before this attempt started: resumable only if an earlier attempt left checkpoints.
      return { ...job, state: "cancelled", finishedAt: now, error: "cancelled by request before it started", resumable: job.attempts > 0 };
    case "resume":
      if (!TERMINAL_STATES.includes(job.state) || job.state === "succeeded" || !job.resumable) {
        throw conflict(job, "only failed, cancelled or interrupted jobs can be resumed");
      }
      // Finished stages stay finished: the job process skips them (its state.json says so).
      return { ...job, state: "queued", error: null, finishedAt: null, stages: moveStages(job, ["failed", "running"], "pending") };
  }
}

/** A running job after its process reported `e`. */
function report(job: JobRecord, e: ChildEvent, now: string): JobRecord {
  switch (e.t) {
    case "progress":
      return { ...job, progress: e.progress };
    case "stage": {
      // The process is the authority on its stages: any reported state is taken as it comes.
      const i = job.stages.findIndex((s) => s.name === e.stage);
      if (i < 0) return job;
      const s = job.stages[i]!;
      const stage: StageRecord = {
        ...s,
        state: e.state,
        ...(e.state === "running" ? { startedAt: now } : { finishedAt: now }),
        ...(e.metrics ? { metrics: { ...s.metrics, ...e.metrics } } : {}),
      };
      return { ...job, stages: job.stages.map((x, j) => (j === i ? stage : x)), progress: null };
    }
    case "gate":
      return { ...job, gate: e.gate };
    case "release":
      return { ...job, release: e.release };
    default:
      // A newer job process may speak of things this manager does not know.
      return job;
  }
}

/** A running job after its process ended. */
function exited(job: JobRecord, t: Extract<JobTransition, { type: "exit" }>, now: string): JobRecord {
  const { exit } = t;
  let state: JobRecord["state"];
  let error: string | null;
  if (t.stoppedBy === "cancel") {
    state = "cancelled";
    error = "cancelled by request";
  } else if (t.stoppedBy === "shutdown") {
    state = "interrupted";
    error = "the API stopped while this job was running; resume it with jobs.resume";
  } else if (exit.code === 0) {
    state = "succeeded";
    error = null;
  } else {
    state = "failed";
    // The job's last line that reads like a reason says more than an exit code.
    const tail = (t.logTail ?? []).filter((l) => /error|failed|refus/i.test(l)).at(-1);
    error = exit.signal
      ? `the job process was killed by ${exit.signal}${exit.signal === "SIGKILL" ? " (kill -9 or out of memory)" : ""}; resume it with jobs.resume`
      : `the job process exited with code ${exit.code}${tail ? `: ${tail.slice(0, 500)}` : ""}`;
  }
  return {
    ...job,
    exit,
    pid: null,
    finishedAt: now,
    progress: null,
    state,
    error,
    stages: moveStages(job, ["running"], state === "succeeded" ? "succeeded" : "failed"),
    // Training resumes from checkpoints and finished stages are skipped, so any stopped job can go on.
    resumable: state !== "succeeded",
  };
}
