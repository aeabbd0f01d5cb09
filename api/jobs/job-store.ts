// Job records on disk: <dataDir>/jobs/<id>/job.json (written whole, via rename, so a crash never
// leaves half a record) and log.txt beside it. The manager is the only writer of job.json.
import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobRecord } from "../../core/jobs/index.ts";
import { localDir } from "../../lancedb/index.ts";

/** The folder that holds every job of a data directory. */
export const jobsRoot = (dataDir: string): string => join(localDir(dataDir), "jobs");

/** One job's folder: job.json, log.txt, state.json (the child's) and its stage outputs. */
export const jobDir = (dataDir: string, id: string): string => join(jobsRoot(dataDir), id);

/** A new job id: sortable by creation time, unique enough for one data directory. */
export function newJobId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const day = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Array.from(randomBytes(4), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  return `j${day}-${time}-${suffix}`;
}

/** Write a record atomically. */
export async function writeJobRecord(dataDir: string, job: JobRecord): Promise<void> {
  const dir = jobDir(dataDir, job.id);
  await mkdir(dir, { recursive: true });
  const path = join(dir, "job.json");
  await writeFile(`${path}.tmp`, `${JSON.stringify(job, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Every readable record; unreadable ones are reported, not fatal. */
export async function readJobRecords(dataDir: string, onBad?: (id: string, err: unknown) => void): Promise<JobRecord[]> {
  let names: string[];
  try {
    names = await readdir(jobsRoot(dataDir));
  } catch {
    return [];
  }
  const out: JobRecord[] = [];
  for (const name of names.sort()) {
    try {
      out.push(JSON.parse(await readFile(join(jobsRoot(dataDir), name, "job.json"), "utf8")) as JobRecord);
    } catch (e) {
      onBad?.(name, e);
    }
  }
  return out;
}

/** Append lines to a job's log. */
export async function appendJobLog(dataDir: string, id: string, lines: string[]): Promise<void> {
  if (lines.length) await appendFile(join(jobDir(dataDir, id), "log.txt"), `${lines.join("\n")}\n`);
}

/** The last `tail` lines of a job's log. */
export async function readJobLog(dataDir: string, id: string, tail: number): Promise<string[]> {
  try {
    const text = await readFile(join(jobDir(dataDir, id), "log.txt"), "utf8");
    return text
      .split("\n")
      .filter((l) => l.length > 0)
      .slice(-tail);
  } catch {
    return [];
  }
}
