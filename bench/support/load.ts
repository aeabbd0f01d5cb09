// Load a running server with autocannon (bench/support/load-child.mjs, in a child process).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What the load worker is asked to run. */
export interface LoadJob {
  /** Base URL of the server (loopback). */
  url: string;
  /** API key sent as a Bearer token. */
  key: string;
  path: string;
  method: "GET" | "POST";
  /** Request bodies, rotated per request (empty for GET). */
  bodies: string[];
  seconds: number;
  connections: number;
}

/** What it reports back (latencies in ms). */
export interface LoadResult {
  reqPerSec: number;
  total: number;
  p50: number;
  p90: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Run one autocannon job in a child process. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("./load-child.mjs", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load child exited with ${code}`))));
    child.stdin.end(JSON.stringify(job));
  });
}
