import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLatestCheckpoint } from "../gpu-jobs/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";

// A pre-training job killed with SIGKILL resumes from its last checkpoint and ends with the same
// weights as an uninterrupted run (same seed and number of workers), within 1e-5: alone, and
// data-parallel over 2 worker threads (the kill takes the workers down with the process); with
// MBNS and CDNS on.
let dir: string;
let dataDir: string;
const args = (runDir: string, workers: number) => [
  "bin/vitrine.js",
  "pretrain",
  "--data",
  dataDir,
  "--preset",
  "tiny",
  "--steps",
  "60",
  "--batch-size",
  "16",
  "--checkpoint-every",
  "10",
  "--backend",
  "wasm",
  "--run-dir",
  runDir,
  "--workers",
  String(workers),
  // Both negative sources on (off by default): the memory bank's vectors travel in the checkpoints,
  // and with 2 workers the cross-device exchange runs.
  "--mbns",
  "--cdns",
  "--quiet",
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-resume-"));
  dataDir = await makeTrainingCatalog(dir, 32);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function latestStep(runDir: string): number {
  const p = join(runDir, "latest");
  return existsSync(p) ? Number(readFileSync(p, "utf8").replace("ckpt-", "")) : 0;
}

describe.each([1, 2])("kill -9 and resume with %i worker(s)", (workers) => {
  it("continues from the last checkpoint and matches an uninterrupted run", async () => {
    const straight = join(dir, `straight-${workers}`);
    const r1 = spawnSync(process.execPath, args(straight, workers), { encoding: "utf8", timeout: 240_000 });
    expect(r1.status, r1.stderr).toBe(0);

    expect(r1.stderr).toContain(`backend wasm, ${workers} worker${workers === 1 ? "" : "s"}`);

    const killed = join(dir, `killed-${workers}`);
    const child = spawn(process.execPath, args(killed, workers), { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 120_000;
    while (latestStep(killed) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const at = latestStep(killed);
    expect(at).toBeGreaterThanOrEqual(20);
    expect(at).toBeLessThan(60); // it really died midway

    // Without --workers, the resumed run takes the checkpoint's number.
    const resumeArgs = args(killed, workers).filter((a, i, all) => a !== "--workers" && all[i - 1] !== "--workers");
    const r2 = spawnSync(process.execPath, [...resumeArgs, "--resume"], { encoding: "utf8", timeout: 240_000 });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(new RegExp(`resuming .* at step ${at} of 60`));
    expect(r2.stderr).toContain(`${workers} worker${workers === 1 ? "" : "s"}`);

    const a = (await loadLatestCheckpoint(straight))!;
    const b = (await loadLatestCheckpoint(killed))!;
    expect(b.step).toBe(60);
    let maxDiff = 0;
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name);
      expect(u, name).toBeDefined();
      for (let i = 0; i < t.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.values[i]! - u!.values[i]!));
    }
    console.info(`${workers} worker(s): resumed at step ${at}; max |Δweight| vs uninterrupted run: ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  }, 600_000);
});
