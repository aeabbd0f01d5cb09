// The soak's traffic generators: each a child process (soak-client.mjs, open loop) given its job on
// stdin, answering with its samples and status counts on stdout; optionally niced.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const CLIENT = fileURLToPath(new URL("./soak-client.mjs", import.meta.url));

/** One request a generator sends. */
export type Req = { kind: string; method: "GET" | "POST"; path: string; key: string | null; body: string | null };
/** What a generator reports: [sent at, ms, status, kind] per request, statuses per kind, sends skipped at the in-flight cap. */
export type ClientOut = { samples: [number, number, number | "neterr", string][]; counts: Record<string, Record<string, number>>; skipped: number; sent: number };
/** A generator's job: where, until when, in which windows, at what rate, which requests in turn. */
export type ClientJob = { url: string; until: number; windows?: [number, number][]; role: "good" | "hostile"; rate: number; maxInFlight: number; requests: Req[] };

/** `nice -n N node ...` (N > 0) or plain `node ...`. */
export const niced = (n: number, args: string[]): [string, string[]] => (n > 0 ? ["nice", ["-n", String(n), process.execPath, ...args]] : [process.execPath, args]);

/** Run one generator at niceness `nice` until its job ends. */
export function runClient(job: ClientJob, nice = 0): Promise<ClientOut> {
  return new Promise((resolve, reject) => {
    const child = spawn(...niced(nice, [CLIENT]), { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(JSON.parse(out) as ClientOut) : reject(new Error(`soak client exited with ${code}`))));
    child.stdin.end(JSON.stringify(job));
  });
}
