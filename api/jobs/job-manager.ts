// The job manager (DESIGN §7): one compute slot with a FIFO queue behind it, each job a process
// started by a runner, records persisted under <dataDir>/jobs so they survive an API restart.
// A job that was running when the API died is marked `interrupted` on the next start and can be
// resumed; a job process killed from outside (kill -9, OOM) is marked `failed` with the signal.
// The manager schedules (queue, processes, persistence, watchers); what each event does to a
// record, and which events a state allows, is job-transitions.ts's.
import { appendJobLog, jobDir, newJobId, readJobLog, readJobRecords, writeJobRecord } from "./job-store.ts";
import { JobError } from "./errors.ts";
import { parseEventLine, TERMINAL_STATES, type ChildEvent, type JobConfig, type JobKind, type JobRecord } from "../../core/jobs/index.ts";
import { createLocalRunner, type JobProcess, type JobRunner } from "./runners.ts";
import { newJobRecord, transition, type JobTransition } from "./job-transitions.ts";
import type { JobEvent, JobsService } from "./types.ts";
import { holdJobsLease, recordStoreUri } from "../../lancedb/index.ts";

/** Logger the manager reports to (pino-compatible subset). */
export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of createJobManager. */
export interface JobManagerOptions {
  /** Data directory the jobs work on; records live in <dataDir>/jobs. */
  dataDir: string;
  /** How job processes start (default: local child processes). */
  runner?: JobRunner;
  /** Where manager events are logged (default: nowhere). */
  logger?: JobLogger;
  /** Grace period between SIGTERM and SIGKILL when cancelling, in ms (default 10 s). */
  killGraceMs?: number;
  /** Least time between two writes of job.json for progress alone, in ms (default 1 s). */
  persistEveryMs?: number;
}

/** The manager: the JobsService plus a way to wait for the queue to drain (tests, CLI). */
export interface JobManager extends JobsService {
  /** Resolves when no job is running or queued. */
  idle(): Promise<void>;
  /** The runner's name ("local", "container"). */
  readonly runnerName: string;
}

interface Running {
  id: string;
  /** Null until the runner started it (the record is written first). */
  proc: JobProcess | null;
  /** Resolves once finish() has recorded the end. */
  done: Promise<void>;
  markDone: () => void;
  cancelRequested: boolean;
  logBuffer: string[];
  /** Log appends, chained so lines land in order. */
  logWrites: Promise<void>;
  lastPersist: number;
}

const clone = (j: JobRecord): JobRecord => structuredClone(j);
const isoNow = () => new Date().toISOString();

/** Open the manager on a data directory: load records, mark orphans, start the queue. */
export async function createJobManager(opts: JobManagerOptions): Promise<JobManager> {
  const { dataDir } = opts;
  const runner = opts.runner ?? createLocalRunner();
  const log = opts.logger ?? { info: () => undefined, warn: () => undefined };
  const killGraceMs = opts.killGraceMs ?? 10_000;
  const persistEveryMs = opts.persistEveryMs ?? 1_000;
  // One job manager per data directory (across processes and machines sharing it): taken first.
  const releaseLease = await holdJobsLease(dataDir);
  await recordStoreUri(dataDir); // job records sit in a store's local working folder: their processes read the store's URI there
  const jobs = new Map<string, JobRecord>();
  const queue: string[] = [];
  const resumeNext = new Set<string>();
  const watchers = new Map<string, Set<(e: JobEvent) => void>>();
  let current: Running | null = null;
  let closed = false;
  let idleWaiters: (() => void)[] = [];
  // One write loop per job, so an older snapshot never lands after a newer one; snapshots that come
  // while a write is in flight collapse into the latest (a slow store — a PUT per write on s3:// —
  // never builds a queue of progress writes).
  const writes = new Map<string, Promise<void>>();
  const latest = new Map<string, JobRecord>();

  const persist = (job: JobRecord): Promise<void> => {
    const id = job.id;
    latest.set(id, clone(job));
    let loop = writes.get(id);
    if (!loop) {
      loop = (async () => {
        for (;;) {
          const snap = latest.get(id);
          if (!snap) {
            writes.delete(id); // in the same tick as the check: a later persist starts a new loop
            return;
          }
          latest.delete(id);
          await writeJobRecord(dataDir, snap).catch((err: unknown) => log.warn({ err, job: id }, "could not write job record"));
        }
      })();
      writes.set(id, loop);
    }
    return loop;
  };
  const emit = (job: JobRecord, type: JobEvent["type"], line?: string) => {
    const set = watchers.get(job.id);
    if (!set?.size) return;
    const event: JobEvent = { type, job: clone(job), ...(line !== undefined ? { line } : {}) };
    for (const w of set) w(event);
  };
  const mustGet = (id: string): JobRecord => {
    const j = jobs.get(id);
    if (!j) throw new JobError("JOB_NOT_FOUND", `no job "${id}" in ${dataDir}; list them with jobs.list`);
    return j;
  };
  /** Apply a transition to the held record now, and hold the result (throws as transition does). */
  const update = (id: string, t: JobTransition): JobRecord => {
    const next = transition(jobs.get(id)!, t, isoNow());
    jobs.set(id, next);
    return next;
  };
  const checkIdle = () => {
    if (current || queue.length) return;
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };

  // Records from earlier runs of the API.
  for (const rec of await readJobRecords(dataDir, (id, err) => log.warn({ job: id, err }, "unreadable job record skipped"))) {
    let job = rec;
    if (rec.state === "running") {
      job = transition(rec, { type: "orphaned" }, isoNow());
      await persist(job);
      log.warn({ job: job.id }, "job was running when the API stopped: marked interrupted");
    }
    jobs.set(job.id, job);
    if (job.state === "queued") queue.push(job.id);
  }

  const applyEvent = (id: string, e: ChildEvent, run: Running) => {
    const before = jobs.get(id)!;
    let job: JobRecord;
    try {
      job = transition(before, { type: "report", event: e }, isoNow());
    } catch (err) {
      // Only a running job's process reports: a line read after its end must not reopen the record.
      if (!(err instanceof JobError)) throw err;
      log.warn({ job: id, err }, "event from a job that is no longer running ignored");
      return;
    }
    // A stage the job does not have: nothing to record or tell.
    if (job === before && e.t === "stage") return;
    jobs.set(id, job);
    if (e.t === "progress") {
      emit(job, "progress");
      const now = Date.now();
      if (now - run.lastPersist >= persistEveryMs) {
        run.lastPersist = now;
        void persist(job);
      }
      return;
    }
    void persist(job);
    emit(job, "stage");
  };

  const flushLogs = (run: Running): Promise<void> => {
    if (run.logBuffer.length) {
      const lines = run.logBuffer;
      run.logBuffer = [];
      run.logWrites = run.logWrites.then(() => appendJobLog(dataDir, run.id, lines)).catch((err: unknown) => log.warn({ err, job: run.id }, "could not append to job log"));
    }
    return run.logWrites;
  };

  const finish = async (run: Running, exit: { code: number | null; signal: string | null }) => {
    await flushLogs(run);
    // Why it stopped is the manager's to know: a cancel it was asked for, or its own shutdown.
    const stoppedBy = run.cancelRequested ? "cancel" : closed ? "shutdown" : null;
    // A failure's reason is read from the end of its log.
    const logTail = stoppedBy === null && exit.code !== 0 ? await readJobLog(dataDir, run.id, 40) : [];
    const job = update(run.id, { type: "exit", exit, stoppedBy, logTail });
    await persist(job);
    log.info({ job: job.id, kind: job.kind, state: job.state, exit }, "job finished");
    emit(job, "state");
    current = null;
    run.markDone();
    pump();
    checkIdle();
  };

  const pump = () => {
    if (current || closed) return;
    const id = queue.shift();
    if (!id) return;
    const resume = resumeNext.delete(id);
    const job = update(id, { type: "start" });
    const dir = jobDir(dataDir, id);
    // The record is on disk before the process reads it.
    const ready = persist(job);
    let markDone!: () => void;
    const done = new Promise<void>((r) => (markDone = r));
    const run: Running = { id, proc: null, done, markDone, cancelRequested: false, logBuffer: [], logWrites: Promise.resolve(), lastPersist: 0 };
    current = run;
    void ready.then(() => {
      if (closed || run.cancelRequested) {
        void finish(run, { code: null, signal: null });
        return;
      }
      log.info({ job: id, kind: job.kind, runner: runner.name, resume }, "job started");
      const proc = runner.start({ id, jobDir: dir, dataDir, resume }, (line) => {
        const event = parseEventLine(line);
        if (event) applyEvent(id, event, run);
        else {
          run.logBuffer.push(line);
          if (run.logBuffer.length >= 50) void flushLogs(run);
          emit(jobs.get(id)!, "log", line);
        }
      });
      run.proc = proc;
      const spawned = update(id, { type: "spawned", pid: proc.pid });
      void persist(spawned);
      emit(spawned, "state");
      const timer = setInterval(() => void flushLogs(run), 500);
      void proc.exited.then((exit) => {
        clearInterval(timer);
        return finish(run, exit);
      });
    });
  };

  const manager: JobManager = {
    runnerName: runner.name,
    async trigger(kind: JobKind, config: JobConfig, triggeredBy: string | null) {
      if (closed) throw new JobError("UNAVAILABLE", "the job manager is shutting down; try again once the API is back");
      const id = newJobId();
      const job = newJobRecord({ id, kind, config, triggeredBy }, isoNow());
      jobs.set(id, job);
      await persist(job);
      queue.push(id);
      log.info({ job: id, kind, position: queue.length }, "job queued");
      pump();
      // As it is now: running already when the slot was free.
      return clone(jobs.get(id)!);
    },
    async get(id) {
      return clone(mustGet(id));
    },
    async list(o = {}) {
      const all = [...jobs.values()].filter((j) => !o.state || j.state === o.state).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      return all.slice(0, o.limit ?? 100).map(clone);
    },
    async cancel(id) {
      const job = mustGet(id);
      // Throws CONFLICT for a finished job; a running one comes back unchanged, to be stopped here.
      const next = transition(job, { type: "cancel" }, isoNow());
      if (job.state === "queued") {
        queue.splice(queue.indexOf(id), 1);
        resumeNext.delete(id);
        jobs.set(id, next);
        await persist(next);
        emit(next, "state");
        checkIdle();
        return clone(jobs.get(id)!);
      }
      if (current?.id !== id) throw new JobError("CONFLICT", `job ${id} is ${job.state}; only queued or running jobs can be cancelled`);
      const run = current;
      run.cancelRequested = true;
      // Not started yet: pump() sees the flag and records the cancel without starting it.
      run.proc?.kill("SIGTERM");
      const hard = setTimeout(() => run.proc?.kill("SIGKILL"), killGraceMs);
      hard.unref();
      await run.done;
      clearTimeout(hard);
      await writes.get(id);
      return clone(jobs.get(id)!);
    },
    async resume(id) {
      mustGet(id);
      const job = update(id, { type: "resume" });
      await persist(job);
      resumeNext.add(id);
      queue.push(id);
      emit(job, "state");
      pump();
      // As it is now: running already when the slot was free.
      return clone(jobs.get(id)!);
    },
    async logs(id, tail = 200) {
      mustGet(id);
      if (current?.id === id) await flushLogs(current);
      return readJobLog(dataDir, id, tail);
    },
    watch(id, signal) {
      const job = mustGet(id);
      return {
        [Symbol.asyncIterator]: () => {
          const pending: JobEvent[] = [{ type: "snapshot", job: clone(job) }];
          let wake: (() => void) | null = null;
          let done = TERMINAL_STATES.includes(job.state);
          const onEvent = (e: JobEvent) => {
            pending.push(e);
            if (TERMINAL_STATES.includes(e.job.state) && e.type === "state") done = true;
            wake?.();
          };
          const stop = () => {
            done = true;
            wake?.();
          };
          let set = watchers.get(id);
          if (!set) watchers.set(id, (set = new Set()));
          set.add(onEvent);
          signal?.addEventListener("abort", stop, { once: true });
          const cleanup = () => {
            set.delete(onEvent);
            signal?.removeEventListener("abort", stop);
          };
          return {
            async next(): Promise<IteratorResult<JobEvent>> {
              for (;;) {
                const e = pending.shift();
                if (e) return { value: e, done: false };
                if (done || signal?.aborted) {
                  cleanup();
                  return { value: undefined, done: true };
                }
                await new Promise<void>((r) => (wake = r));
                wake = null;
              }
            },
            async return(): Promise<IteratorResult<JobEvent>> {
              cleanup();
              return { value: undefined, done: true };
            },
          };
        },
      };
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const run = current;
      if (run) {
        run.proc?.kill("SIGTERM");
        const hard = setTimeout(() => run.proc?.kill("SIGKILL"), killGraceMs);
        hard.unref();
        await run.done;
        clearTimeout(hard);
      }
      await Promise.all(writes.values());
      for (const set of watchers.values()) set.clear();
      await releaseLease();
    },
  };
  pump();
  return manager;
}
