// Training ablation runs as child processes (`vitrine pretrain ... --quiet`): each in its own
// process so one crash or out-of-memory kills only that variant, at most `concurrency` at a time,
// output to a log file whose tail is shown when a run fails.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** One child training job. */
export interface TrainJob {
  /** Name shown in progress lines and failures. */
  name: string;
  /** Arguments after `vitrine` (e.g. ["pretrain", "--data", DIR, ...]). */
  args: string[];
  /** Log file for the child's stdout and stderr (appended). */
  logFile: string;
}

/** How a job ended. */
export interface TrainOutcome {
  /** The job. */
  job: TrainJob;
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Wall time in seconds. */
  seconds: number;
  /** Last lines of the log (only when it failed). */
  tail?: string;
}

/** Options of runTrainJobs. */
export interface RunTrainJobsOptions {
  /** Jobs running at once (≥ 1). */
  concurrency: number;
  /** Progress lines. */
  log?: (msg: string) => void;
  /** Command that runs the CLI (default: this Node with bin/vitrine.js). */
  command?: { file: string; args: string[] };
}

const CLI = fileURLToPath(new URL("../../bin/vitrine.js", import.meta.url));

/** The last `lines` lines of a file (empty when unreadable). */
export async function logTail(path: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    // Keep tails short: a TF.js wasm error can dump a whole bundle on one line.
    return text
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
      .join("\n");
  } catch {
    return "";
  }
}

function runOne(job: TrainJob, command: { file: string; args: string[] }): Promise<Omit<TrainOutcome, "tail">> {
  const t0 = performance.now();
  return new Promise((resolvePromise) => {
    const out = createWriteStream(job.logFile, { flags: "a" });
    out.write(`# ${new Date().toISOString()} vitrine ${job.args.join(" ")}\n`);
    const child = spawn(command.file, [...command.args, ...job.args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      out.end(() => resolvePromise({ job, code, signal, seconds: (performance.now() - t0) / 1000 }));
    };
    child.on("error", (e) => {
      out.write(`spawn failed: ${e.message}\n`);
      done(null, null);
    });
    child.on("close", done);
  });
}

/** Run the jobs, `concurrency` at a time; resolves with every outcome (failures included) in job order. */
export async function runTrainJobs(jobs: readonly TrainJob[], opts: RunTrainJobsOptions): Promise<TrainOutcome[]> {
  const command = opts.command ?? { file: process.execPath, args: [CLI] };
  const outcomes: TrainOutcome[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i]!;
      opts.log?.(`training ${job.name} (${i + 1}/${jobs.length}); log: ${job.logFile}`);
      await mkdir(dirname(job.logFile), { recursive: true });
      const r = await runOne(job, command);
      const ok = r.code === 0;
      outcomes[i] = ok ? r : { ...r, tail: await logTail(job.logFile) };
      opts.log?.(`${ok ? "trained" : "FAILED"} ${job.name} in ${(r.seconds / 60).toFixed(1)} min${ok ? "" : ` (exit ${r.code ?? r.signal})`}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker));
  return outcomes;
}
