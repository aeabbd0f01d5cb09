// How a job's process is started: a local child process (the tested path) or a configurable
// container command for GPU machines (gpu-jobs/Dockerfile). Either way the manager reads the
// process's stdout/stderr lines and exit, and closes its stdin to tell it the API is gone.
import { spawn, type ChildProcess } from "node:child_process";
import { platform } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** What the manager asks a runner to start. */
export interface JobLaunch {
  /** Job id. */
  id: string;
  /** The job's folder (<dataDir>/jobs/<id>). */
  jobDir: string;
  /** The data directory. */
  dataDir: string;
  /** Continue from the job's checkpoints. */
  resume: boolean;
}

/** A started job process. */
export interface JobProcess {
  /** OS process id (of the local child or of the container client). */
  pid: number | null;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Send a signal to the process (and its group, for local children). */
  kill(signal: NodeJS.Signals): void;
}

/** Starts job processes. */
export interface JobRunner {
  /** Name shown in logs ("local", "container"). */
  name: string;
  /** Start one job; `onLine` gets every stdout/stderr line. */
  start(launch: JobLaunch, onLine: (line: string, stream: "stdout" | "stderr") => void): JobProcess;
}

const CLI = fileURLToPath(new URL("../../bin/vitrine.js", import.meta.url));

function watchLines(child: ChildProcess, onLine: (line: string, stream: "stdout" | "stderr") => void): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const s = child[stream];
    if (s) createInterface({ input: s, crlfDelay: Infinity }).on("line", (l) => onLine(l, stream));
  }
}

function wrap(child: ChildProcess, group: boolean): JobProcess {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("error", () => resolve({ code: null, signal: null }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  return {
    pid: child.pid ?? null,
    exited,
    kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        // Local children lead their own process group: signal the group (workers included).
        if (group && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}

/** Options of the local runner. */
export interface LocalRunnerOptions {
  /** Extra environment for the job processes. */
  env?: Record<string, string>;
  /**
   * Niceness added to the job processes (0–19, default 10): training and publishing on the machine
   * that serves leave the CPU to requests first, and take all of it when requests are idle. Not on Windows.
   */
  nice?: number;
  /** The script the job runs under (default: this package's bin/vitrine.js, verb job-run). */
  cli?: string;
}

/** Default niceness of local job processes. */
export const JOB_NICE = 10;

/** Run each job as `node bin/vitrine.js job-run --job DIR` on this machine. */
export function createLocalRunner(opts: LocalRunnerOptions = {}): JobRunner {
  if (opts.nice !== undefined && !(Number.isInteger(opts.nice) && opts.nice >= 0 && opts.nice <= 19)) {
    throw new RangeError(`nice must be a whole number 0–19 (VITRINE_JOB_NICE), got ${opts.nice}`);
  }
  return {
    name: "local",
    start(launch, onLine) {
      const args = [opts.cli ?? CLI, "job-run", "--job", launch.jobDir, ...(launch.resume ? ["--resume"] : [])];
      // Through nice(1), so every thread the job starts (training workers, LanceDB's) inherits it;
      // setpriority on the child's pid after spawn would miss the threads it already made.
      const nice = opts.nice ?? JOB_NICE;
      const argv = nice > 0 && platform() !== "win32" ? ["nice", "-n", String(nice), process.execPath, ...args] : [process.execPath, ...args];
      // detached: its own process group, so Ctrl-C in the API's terminal reaches the API, which
      // then decides; the child exits by itself when its stdin (the API) goes away.
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: true, env: { ...process.env, ...opts.env } });
      watchLines(child, onLine);
      return wrap(child, true);
    },
  };
}

/** Options of the container runner. */
export interface ContainerRunnerOptions {
  /**
   * The launch command, split on spaces, with {job}, {data}, {id} and {resume} replaced, e.g.
   * `docker run --rm -i --gpus all -v {data}:{data} vitrine-gpu job-run --job {job} {resume}`.
   * It must keep stdin open to the job (docker's -i) so the job stops when the API does.
   */
  command: string;
}

/** Run each job through a configurable command (a GPU container); see gpu-jobs/README.md. */
export function createContainerRunner(opts: ContainerRunnerOptions): JobRunner {
  const parts = opts.command.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new Error("the container command is empty; set VITRINE_JOB_COMMAND");
  return {
    name: "container",
    start(launch, onLine) {
      const argv = parts
        .map((p) =>
          p
            .replaceAll("{job}", launch.jobDir)
            .replaceAll("{data}", launch.dataDir)
            .replaceAll("{id}", launch.id)
            .replaceAll("{resume}", launch.resume ? "--resume" : ""),
        )
        .filter(Boolean);
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
      watchLines(child, onLine);
      return wrap(child, false);
    },
  };
}
