// The jobs view of a read replica (VITRINE_JOBS=off): it runs no jobs, but lists them and reads a
// job's status and log from the records the one job manager writes (job-store.ts: the shared data
// directory's jobs/ folder, or the store's jobs/ objects on a store URI). Trigger, cancel and resume
// are refused naming where they go. watch polls the record, so events reach a replica's watcher
// within one poll of the manager's write (progress as often as the manager persists it, ≤ 1 s).
import { TERMINAL_STATES, type JobRecord } from "../../core/jobs/index.ts";
import { JobError } from "./errors.ts";
import { listJobIds, readJobLog, readJobRecord } from "./job-store.ts";
import type { JobEvent, JobsService } from "./types.ts";

/** Options of createJobsReader. */
export interface JobsReaderOptions {
  /** Data directory (a folder or a store URI) whose job records to read. */
  dataDir: string;
  /** How often watch re-reads a record, in ms (default 1000). */
  pollMs?: number;
  /** Most records one list reads (default 500): a list with a state filter stops there. */
  maxScan?: number;
}

/** A JobsService that reads job records and refuses to change them. */
export function createJobsReader(opts: JobsReaderOptions): JobsService {
  const { dataDir } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const maxScan = opts.maxScan ?? 500;
  const readOnly = (what: string) =>
    new JobError(
      "UNAVAILABLE",
      `this server is a read replica (VITRINE_JOBS=off): it lists jobs and reads their status and logs, but ${what} goes to the one server that runs jobs (started without VITRINE_JOBS=off on the same store)`,
    );
  const mustRead = async (id: string): Promise<JobRecord> => {
    const job = await readJobRecord(dataDir, id);
    if (!job) throw new JobError("JOB_NOT_FOUND", `no job "${id}" in ${dataDir}; list them with jobs.list`);
    return job;
  };

  return {
    async trigger() {
      throw readOnly("starting a job");
    },
    async cancel() {
      throw readOnly("cancelling a job");
    },
    async resume() {
      throw readOnly("resuming a job");
    },
    get: mustRead,
    async list(o = {}) {
      const limit = o.limit ?? 100;
      const out: JobRecord[] = [];
      // Ids sort by creation time: read from the newest until the page is full (or maxScan records were read).
      for (const id of (await listJobIds(dataDir)).slice(0, maxScan)) {
        const job = await readJobRecord(dataDir, id).catch(() => null);
        if (job && (!o.state || job.state === o.state)) out.push(job);
        if (out.length >= limit) break;
      }
      return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    },
    async logs(id, tail = 200) {
      await mustRead(id);
      return readJobLog(dataDir, id, tail);
    },
    watch(id, signal) {
      return {
        async *[Symbol.asyncIterator](): AsyncGenerator<JobEvent> {
          let last = await mustRead(id);
          yield { type: "snapshot", job: last };
          while (!TERMINAL_STATES.includes(last.state) && !signal?.aborted) {
            await sleep(pollMs, signal);
            const job = await readJobRecord(dataDir, id);
            if (!job || signal?.aborted) return;
            const type = changeOf(last, job);
            if (type) yield { type, job };
            last = job;
          }
        },
      };
    },
    async close() {},
  };
}

/** What changed between two reads of a record, as the manager's event types name it; null: nothing. */
function changeOf(before: JobRecord, after: JobRecord): JobEvent["type"] | null {
  if (before.state !== after.state) return "state";
  if (JSON.stringify(before.stages) !== JSON.stringify(after.stages)) return "stage";
  if (JSON.stringify(before.progress) !== JSON.stringify(after.progress)) return "progress";
  return null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
