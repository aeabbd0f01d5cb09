import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLatestCheckpoint } from "../gpu-jobs/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";

// A pre-training job killed with SIGKILL resumes from its last checkpoint and ends with the same
// weights as an uninterrupted run (same seed), within 1e-5.
let dir: string;
let dataDir: string;
const args = (runDir: string) => [
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

describe("kill -9 and resume", () => {
  it("continues from the last checkpoint and matches an uninterrupted run", async () => {
    const straight = join(dir, "straight");
    const r1 = spawnSync(process.execPath, args(straight), { encoding: "utf8", timeout: 240_000 });
    expect(r1.status, r1.stderr).toBe(0);

    const killed = join(dir, "killed");
    const child = spawn(process.execPath, args(killed), { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 120_000;
    while (latestStep(killed) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const at = latestStep(killed);
    expect(at).toBeGreaterThanOrEqual(20);
    expect(at).toBeLessThan(60); // it really died midway

    const r2 = spawnSync(process.execPath, [...args(killed), "--resume"], { encoding: "utf8", timeout: 240_000 });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(new RegExp(`resuming .* at step ${at} of 60`));

    const a = (await loadLatestCheckpoint(straight))!;
    const b = (await loadLatestCheckpoint(killed))!;
    expect(b.step).toBe(60);
    let maxDiff = 0;
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name);
      expect(u, name).toBeDefined();
      for (let i = 0; i < t.values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.values[i]! - u!.values[i]!));
    }
    console.info(`resumed at step ${at}; max |Δweight| vs uninterrupted run: ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
  }, 600_000);
});
