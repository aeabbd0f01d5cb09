// `vitrine demo` (what `npm start` runs) as a user runs it: the first run generates, imports,
// serves the baseline, retrains as a job and prints the eval table and how to call the API; the
// second run reuses all of it and serves in seconds. The tiny preset keeps it short.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";

let dir: string;
let child: ChildProcess | null = null;

interface Run {
  out: string;
  err: string;
  exited: Promise<number | null>;
}

function startDemo(): Run {
  const p = spawn(process.execPath, ["bin/vitrine.js", "demo", "--data", dir, "--items", "60", "--preset", "tiny", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  child = p;
  const run: Run = { out: "", err: "", exited: new Promise((r) => p.once("exit", r)) };
  p.stdout!.on("data", (b: Buffer) => (run.out += b.toString()));
  p.stderr!.on("data", (b: Buffer) => (run.err += b.toString()));
  return run;
}

async function until(run: Run, re: RegExp, ms: number): Promise<RegExpExecArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = re.exec(run.err);
    if (m) return m;
    if (child?.exitCode !== null) throw new Error(`demo exited early:\n${run.err.slice(-2000)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${run.err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(run: Run): Promise<number | null> {
  child!.kill("SIGTERM");
  return run.exited;
}

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("vitrine demo (npm start)", () => {
  it("serves the baseline, retrains as a job, prints the eval table, and a second start reuses it all", async () => {
    dir = await mkdtemp(join(tmpdir(), "vitrine-demo-"));
    const first = startDemo();
    // Serving starts before training: the baseline answers meanwhile.
    const url = (await until(first, /listening on (http:\/\/\S+)/, 120_000))[1]!;
    // The keys were generated into the demo folder (mode 0600); the printed curl line uses the read key.
    const key = (await until(first, /try: curl -s \S+ -H 'authorization: Bearer (\w+)'/, 5_000))[1]!;
    const saved = JSON.parse(await readFile(join(dir, "keys.json"), "utf8")) as { read: string; admin: string };
    expect(key).toBe(saved.read);
    expect((await stat(join(dir, "keys.json"))).mode & 0o777).toBe(0o600);
    expect(first.err).toMatch(/API keys: generated into/);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { release: string };
    expect(health.release).toBe("r001");
    await until(first, /retraining with the tiny preset/, 10_000);
    // The job ends with a gate decision: published, or not (a 60-item shop holds out too few
    // unseen pairs for the gate to decide; it says so with the count).
    const outcome = (await until(first, /\n(published r002|not published \((?:only \d+ unseen held-out pairs|on \d+ unseen held-out pairs vs r001))/, 240_000))[1]!;
    await until(first, /ready: http[^\n]*\n[^\n]*curl -s/, 5_000);
    expect(first.out).toMatch(/\| recall@100, unseen pairs \| [\d.]+ \| [\d.]+ \|/);
    expect(first.err).toMatch(/✓ pretrain succeeded/);
    expect(first.err).toMatch(/✓ eval succeeded/);
    const r = await fetch(`${url}/v1/retrieve`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ query: "dress", k: 3 }) });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { release: string }).release).toBe(outcome.startsWith("published") ? "r002" : "r001");
    expect(await stop(first)).toBe(0);

    const second = startDemo();
    await until(second, /reusing retrain j\d{8}-\d{6}-\w{4}/, 60_000);
    await until(second, /ready: http/, 30_000);
    // Same keys as the first start: the snippet printed then still works.
    expect(second.err).toMatch(/API keys: reusing/);
    const url2 = (await until(second, /listening on (http:\/\/\S+)/, 1_000))[1]!;
    expect(second.err).toContain(`apiKey: "${saved.read}"`);
    expect(second.err).toContain(`apiKey: "${saved.admin}"`);
    const again = await fetch(`${url2}/v1/retrieve`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "dress", k: 3 }),
    });
    expect(again.status).toBe(200);
    expect(second.err).toMatch(/demo dataset: reusing/);
    expect(second.err).toMatch(/import: reusing/);
    expect(second.err).not.toMatch(/▸ pretrain|retraining with/);
    expect(second.out).toMatch(/\| recall@100, unseen pairs \|/);
    // "Serves in seconds" is what skipping every step buys; the timing itself is not asserted here.
    expect(await stop(second)).toBe(0);
  }, 420_000);
});
