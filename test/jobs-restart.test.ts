// Jobs survive what production does to them: a job process killed with SIGKILL is recorded as such
// and resumes from its checkpoint; an API killed with SIGKILL mid-job comes back, marks the job
// interrupted, and resumes it on request. Real processes throughout (the API as `vitrine serve`).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobManager } from "../api/jobs/index.ts";
import type { JobConfig } from "../core/jobs/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";
import { createClient, type JobRecord } from "../sdk/index.ts";
import { until } from "./fixtures/until.ts";

const KEY = "admin-key-for-restart-test-0123456789";
// Long enough to be caught mid-way (checkpoints every 10 steps), short enough for the suite.
const CONFIG: JobConfig = { preset: "tiny", backend: "wasm", pretrain: { steps: 160, batchSize: 16, checkpointEvery: 10 } };

let dir: string;
let dataDir: string;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function lastStep(runDir: string): Promise<number> {
  const lines = (await readFile(join(runDir, "metrics.jsonl"), "utf8")).trim().split("\n");
  return (JSON.parse(lines.at(-1)!) as { step: number }).step;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-jobs-restart-"));
  dataDir = await makeTrainingCatalog(dir, 32);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("job processes killed from outside", () => {
  it("records a kill -9 of the job process and resumes it from its checkpoint", async () => {
    const jobs = await createJobManager({ dataDir });
    try {
      const job = await jobs.trigger("pretrain", CONFIG, "test");
      const running = await until("30 steps", async () => {
        const j = await jobs.get(job.id);
        return j.pid && (j.progress?.done ?? 0) >= 30 ? j : null;
      });
      process.kill(running.pid!, "SIGKILL");
      await jobs.idle();
      const killed = await jobs.get(job.id);
      expect(killed.state).toBe("failed");
      expect(killed.exit?.signal).toBe("SIGKILL");
      expect(killed.error).toMatch(/killed by SIGKILL/);
      expect(killed.resumable).toBe(true);
      const stoppedAt = await lastStep(join(dataDir, "runs", "pretrain"));
      expect(stoppedAt).toBeLessThan(160);

      await jobs.resume(job.id);
      const events: JobRecord[] = [];
      for await (const e of jobs.watch(job.id)) events.push(e.job);
      const done = events.at(-1)!;
      expect(done.state, done.error ?? "").toBe("succeeded");
      expect(done.attempts).toBe(2);
      expect(done.stages[0]).toMatchObject({ name: "pretrain", state: "succeeded", metrics: { steps: 160 } });
      // It went on from a checkpoint, not from step 0.
      expect((await jobs.logs(job.id, 500)).join("\n")).toMatch(/resuming .* at step [1-9]\d*/);
      expect(await lastStep(join(dataDir, "runs", "pretrain"))).toBe(160);
    } finally {
      await jobs.close();
    }
  }, 240_000);
});

describe("the API killed mid-job", () => {
  let api: ChildProcess | null = null;

  // `vitrine serve` on a free port; resolves to its URL once it listens.
  async function startApi(): Promise<string> {
    const child = spawn(process.execPath, ["bin/vitrine.js", "serve", "--data", dataDir, "--port", "0"], {
      env: { ...process.env, VITRINE_API_KEYS: `ops:${KEY}:admin`, VITRINE_LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    api = child;
    let err = "";
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    return until("the API to listen", () => {
      if (child.exitCode !== null) throw new Error(`vitrine serve exited ${child.exitCode}: ${err}`);
      return /listening on (http:\/\/\S+)/.exec(err)?.[1] ?? null;
    });
  }

  afterAll(() => {
    if (api && api.exitCode === null) api.kill("SIGKILL");
  });

  it("marks the job interrupted after a restart and resumes it on request", async () => {
    let client = createClient({ url: await startApi(), apiKey: KEY });
    const job = await client.jobs.trigger({ kind: "pretrain", config: { ...CONFIG, pretrain: { ...CONFIG.pretrain, seed: 3 } } });
    const running = await until("the job to train", async () => {
      const j = await client.jobs.get(job.id);
      return j.pid && (j.progress?.done ?? 0) >= 20 ? j : null;
    });
    const exited = new Promise((r) => api!.once("exit", r));
    api!.kill("SIGKILL");
    await exited;
    // The job process notices its API is gone (stdin closes) and stops.
    await until("the orphaned job process to exit", () => (alive(running.pid!) ? null : true), 30_000);

    client = createClient({ url: await startApi(), apiKey: KEY });
    const after = await client.jobs.get(job.id);
    expect(after.state).toBe("interrupted");
    expect(after.error).toMatch(/API stopped/);
    expect(after.resumable).toBe(true);

    await client.jobs.resume(job.id);
    let last: JobRecord | null = null;
    for await (const e of client.jobs.watch(job.id)) last = e.job;
    expect(last?.state, last?.error ?? "").toBe("succeeded");
    expect(last?.attempts).toBe(2);
    expect(await lastStep(join(dataDir, "runs", "pretrain"))).toBe(160);
  }, 240_000);
});
