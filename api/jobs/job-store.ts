// Job records: <work>/jobs/<id>/job.json (written whole, via rename, so a crash never leaves half a
// record) and log.txt beside it, in the data directory itself or, for a store URI, in the job
// manager's local working folder (the job process reads its job.json and works in that folder).
// On a store URI each record is also one object in the store, jobs/<id>/job.json, rewritten whole
// on each change (S3 cannot append), and the log's last LOG_OBJECT_CAP bytes are jobs/<id>/log.txt,
// rewritten whole on each flush: so a read replica (VITRINE_JOBS=off) on another machine lists jobs
// and reads their status and logs, and a writer restarted on a fresh disk finds its jobs. The
// manager is the only writer of either.
import { randomBytes } from "node:crypto";
import { appendFile, mkdir, open, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JobIdSchema, type JobRecord } from "../../core/jobs/index.ts";
import { isStoreUri, listDataFiles, localDir, readDataFile, writeDataFile } from "../../lancedb/index.ts";

/** The folder that holds every job of a data directory (on this machine). */
export const jobsRoot = (dataDir: string): string => join(localDir(dataDir), "jobs");

/** One job's folder: job.json, log.txt, state.json (the child's) and its stage outputs. */
export const jobDir = (dataDir: string, id: string): string => join(jobsRoot(dataDir), id);

/** The most of a job's log the store keeps (its end): a whole-object rewrite per flush stays this small. */
export const LOG_OBJECT_CAP = 256 * 1024;

/** Where a job's record and log objects sit under a store URI's prefix. */
const recordObject = (id: string) => `jobs/${id}/job.json`;
const logObject = (id: string) => `jobs/${id}/log.txt`;

/** A new job id: sortable by creation time, unique enough for one data directory. */
export function newJobId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const day = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Array.from(randomBytes(4), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  return `j${day}-${time}-${suffix}`;
}

/** Write a record atomically (and, on a store URI, its object in the store). */
export async function writeJobRecord(dataDir: string, job: JobRecord): Promise<void> {
  const dir = jobDir(dataDir, job.id);
  await mkdir(dir, { recursive: true });
  const path = join(dir, "job.json");
  const text = `${JSON.stringify(job, null, 2)}\n`;
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
  if (isStoreUri(dataDir)) await writeDataFile(dataDir, recordObject(job.id), text);
}

/** Job ids of a data directory, newest first (from the store on a store URI, else the jobs folder). */
export async function listJobIds(dataDir: string): Promise<string[]> {
  const names = isStoreUri(dataDir) ? await listDataFiles(dataDir, "jobs") : await readdir(jobsRoot(dataDir)).catch(() => [] as string[]);
  // Only names the manager makes: nothing else under jobs/ is read as a record.
  return names.filter((n) => JobIdSchema.safeParse(n).success).sort((a, b) => b.localeCompare(a));
}

/** One job's record, or null when there is none. */
export async function readJobRecord(dataDir: string, id: string): Promise<JobRecord | null> {
  if (!JobIdSchema.safeParse(id).success) return null;
  const text = isStoreUri(dataDir)
    ? await readDataFile(dataDir, recordObject(id))
    : await readFile(join(jobDir(dataDir, id), "job.json"), "utf8").catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return null;
        throw e;
      });
  return text === null ? null : (JSON.parse(text) as JobRecord);
}

/** Every readable record, oldest first; unreadable ones are reported, not fatal. */
export async function readJobRecords(dataDir: string, onBad?: (id: string, err: unknown) => void): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (const id of (await listJobIds(dataDir)).reverse()) {
    try {
      const rec = await readJobRecord(dataDir, id);
      if (rec) out.push(rec);
    } catch (e) {
      onBad?.(id, e);
    }
  }
  return out;
}

/** Per job log on a store URI: the put in flight, and whether lines came since it read the file. */
const logPuts = new Map<string, { loop: Promise<void>; dirty: boolean }>();

/**
 * Append lines to a job's log; on a store URI then put the log's end in the store. Appends that come
 * while a put is in flight share the next one (it reads the file then), so a slow store costs at most
 * one put in flight and one after it, not one per append.
 */
export async function appendJobLog(dataDir: string, id: string, lines: string[]): Promise<void> {
  if (!lines.length) return;
  const path = join(jobDir(dataDir, id), "log.txt");
  await appendFile(path, `${lines.join("\n")}\n`);
  if (!isStoreUri(dataDir)) return;
  const key = `${dataDir}\n${id}`;
  const running = logPuts.get(key);
  if (running) {
    running.dirty = true;
    return running.loop;
  }
  const state = { loop: Promise.resolve(), dirty: true };
  state.loop = (async () => {
    try {
      while (state.dirty) {
        state.dirty = false;
        await writeDataFile(dataDir, logObject(id), await fileTail(path, LOG_OBJECT_CAP));
      }
    } finally {
      logPuts.delete(key);
    }
  })();
  logPuts.set(key, state);
  return state.loop;
}

/** The last `bytes` of a file, from a line start. */
async function fileTail(path: string, bytes: number): Promise<string> {
  const size = (await stat(path)).size;
  if (size <= bytes) return readFile(path, "utf8");
  const f = await open(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    await f.read(buf, 0, bytes, size - bytes);
    const text = buf.toString("utf8");
    return text.slice(text.indexOf("\n") + 1);
  } finally {
    await f.close();
  }
}

/** The last `tail` lines of a job's log: this machine's copy, else (a read replica of a store URI) the store's. */
export async function readJobLog(dataDir: string, id: string, tail: number): Promise<string[]> {
  let text: string | null = null;
  try {
    text = await readFile(join(jobDir(dataDir, id), "log.txt"), "utf8");
  } catch {
    if (isStoreUri(dataDir) && JobIdSchema.safeParse(id).success) text = await readDataFile(dataDir, logObject(id));
  }
  return (text ?? "")
    .split("\n")
    .filter((l) => l.length > 0)
    .slice(-tail);
}
