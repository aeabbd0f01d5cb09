// The server bench/soak.ts puts under load, either in the soak's own process (serveNode: the
// default) or as child processes: `vitrine serve --workers N` on 127.0.0.1 with jobs off (what
// --workers above 1 requires), beside one `vitrine serve` with jobs on that runs the job the soak
// kills (the deployment `serve --workers` asks for: jobs from one process without workers). Either
// way the soak sees a URL, the server's CPU and RSS, and the releases it loaded.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { destination, pino } from "pino";
import { createContainerRunner, createJobManager } from "../../api/jobs/index.ts";
import { serveNode } from "../../api/node/index.ts";
import { createRetrievalService } from "../../api/service/index.ts";
import type { ApiKey } from "../../api/http/index.ts";

const CLI = fileURLToPath(new URL("../../bin/vitrine.js", import.meta.url));

/** A release the server loaded: which, how long it took, when (epoch ms). */
export type Reload = { release: string; ms: number; at: number };

/** The server under soak. */
export interface SoakServer {
  /** Base URL of the API (reads, activate, rollback). */
  url: string;
  /** Base URL where jobs are triggered and read (the same server in-process; the jobs process otherwise). */
  jobsUrl: string;
  /** What it is, for the report. */
  label: string;
  /** Processes answering reads (1 in-process). */
  processes: number;
  /** CPU seconds its serving processes have used so far (all threads). */
  cpuSeconds(): number;
  /** Resident memory of its serving processes, bytes; `gc` collects first where it can (in-process). */
  rss(gc: boolean): number;
  /** Event-loop delay of the serving loop (in-process only; null for child processes). */
  loopDelay: { reset(): void; p99(): number; max(): number } | null;
  /** The releases loaded so far (child processes: read from their logs). */
  reloads(): Reload[];
  /** Stop it (and the job manager). */
  close(): Promise<void>;
}

/** What either kind of server needs. */
export interface SoakServerOptions {
  /** The store served. */
  dataDir: string;
  /** Its API keys. */
  keys: ApiKey[];
  /** The job runner's launch command ({job} is the job's folder). */
  jobCommand: string;
}

/** serveNode in this process, pino to /dev/null, releases followed every 250 ms. */
export async function inProcessServer(o: SoakServerOptions, gc: () => void): Promise<SoakServer> {
  const reloads: Reload[] = [];
  const service = await createRetrievalService({ dataDir: o.dataDir, pollMs: 250, onReload: (info, ms) => reloads.push({ release: info.id, ms, at: Date.now() }) });
  const jobs = await createJobManager({ dataDir: o.dataDir, runner: createContainerRunner({ command: o.jobCommand }), killGraceMs: 1_000 });
  // Production defaults for both limits (config left out): 50/s burst 100 per key, 10/s burst 20 per address without a key.
  const server = await serveNode({
    service,
    jobs,
    host: "127.0.0.1",
    port: 0,
    config: { dataDir: o.dataDir, keys: o.keys },
    logger: pino({ level: "info" }, destination({ dest: "/dev/null", sync: false })),
  });
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  return {
    url: server.url,
    jobsUrl: server.url,
    label: "serveNode in the soak's process",
    processes: 1,
    cpuSeconds: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    rss: (collect) => {
      if (collect) gc();
      return process.memoryUsage().rss;
    },
    loopDelay: { reset: () => eld.reset(), p99: () => eld.percentile(99) / 1e6, max: () => eld.max / 1e6 },
    reloads: () => reloads,
    async close() {
      eld.disable();
      await server.close();
      await jobs.close();
      await service.close();
    },
  };
}

/** A free port on 127.0.0.1 (bound, read, released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The process and its children (a cluster primary's workers). */
function tree(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...kids];
  } catch {
    return [];
  }
}
const TICK = 100; // USER_HZ on Linux
function cpuOf(pid: number): number {
  try {
    // Fields after the parenthesised name: utime and stime are the 12th and 13th.
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Start `vitrine serve` with `args` and `env`, stdout to `log`; resolves once `listening` lines were printed and /healthz answers. */
async function startServe(args: string[], env: Record<string, string>, log: string, listening: number): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const fd = openSync(log, "w");
  const child = spawn(process.execPath, [CLI, "serve", "--host", "127.0.0.1", "--port", String(port), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", fd, "pipe"] });
  closeSync(fd);
  let stderr = "";
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`vitrine serve ${args.join(" ")} exited (${code}) before listening:\n${stderr.slice(-2_000)}`));
    child.once("exit", onExit);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if ((stderr.match(/listening on /g) ?? []).length >= listening) {
        child.off("exit", onExit);
        resolve();
      }
    });
  });
  for (let i = 0; i < 100 && (await healthOnce(url).catch(() => null)) === null; i++) await new Promise((r) => setTimeout(r, 100));
  return { child, url };
}

/** The release /healthz names, over a connection of its own (so, with workers, any worker may answer). */
export function healthOnce(url: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve((JSON.parse(body) as { release: string | null }).release));
    });
    req.once("error", reject);
    req.end();
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * `vitrine serve --workers N` (jobs off) and, beside it, one `vitrine serve` with jobs on (the
 * job command given) on the same store; request logs (pino, info) go to files in the temp folder.
 */
export async function childServer(o: SoakServerOptions, workers: number): Promise<SoakServer> {
  const keys = o.keys.map((k) => `${k.id}:${k.key}:${k.role}`).join(",");
  const logs = { serve: join(tmpdir(), `vitrine-soak-serve-${process.pid}.log`), jobs: join(tmpdir(), `vitrine-soak-jobs-${process.pid}.log`) };
  const base = { VITRINE_API_KEYS: keys, VITRINE_LOG_LEVEL: "info" };
  const serve = await startServe(["--data", o.dataDir, "--workers", String(workers)], { ...base, VITRINE_JOBS: "off" }, logs.serve, workers);
  const jobs = await startServe(["--data", o.dataDir], { ...base, VITRINE_JOBS: "on", VITRINE_JOB_COMMAND: o.jobCommand }, logs.jobs, 1).catch(async (e: unknown) => {
    await stop(serve.child);
    throw e;
  });
  const pid = serve.child.pid!;
  const sum = (f: (p: number) => number) => tree(pid).reduce((x, p) => x + f(p), 0);
  return {
    url: serve.url,
    jobsUrl: jobs.url,
    label: `vitrine serve --workers ${workers} (child processes; jobs in a second vitrine serve)`,
    processes: workers,
    cpuSeconds: () => sum(cpuOf),
    rss: () => sum(rssOf),
    loopDelay: null,
    reloads: () => {
      if (!existsSync(logs.serve)) return [];
      const out: Reload[] = [];
      for (const line of readFileSync(logs.serve, "utf8").split("\n")) {
        if (!line.includes('"release loaded"')) continue;
        const o = JSON.parse(line) as { release: string; ms: number; time: number };
        out.push({ release: o.release, ms: o.ms, at: o.time });
      }
      return out;
    },
    async close() {
      await Promise.all([stop(serve.child), stop(jobs.child)]);
      for (const f of Object.values(logs)) rmSync(f, { force: true });
    },
  };
}
