// The job manager with real processes started through the container runner's command template
// (a scripted stand-in job speaking the line protocol): queueing behind one slot, cancel, resume,
// failures, persistence across a new manager, watch, and the template substitution itself.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JobError } from "./errors.ts";
import { createJobManager, type JobManager } from "./job-manager.ts";
import { createContainerRunner } from "./runners.ts";
import type { JobEvent } from "./types.ts";

const SCRIPT = fileURLToPath(new URL("./test-support/scripted-job.mjs", import.meta.url));
const runner = (steps: number, ms: number, exit = 0) => createContainerRunner({ command: `${process.execPath} ${SCRIPT} {job} pretrain ${steps} ${ms} ${exit}` });

let dataDir: string;
let managers: JobManager[] = [];
const open = async (r = runner(3, 20)) => {
  const m = await createJobManager({ dataDir, runner: r, killGraceMs: 2_000, persistEveryMs: 0 });
  managers.push(m);
  return m;
};

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "vitrine-jobmgr-"));
});
afterEach(async () => {
  await Promise.all(managers.map((m) => m.close()));
  managers = [];
  await rm(dataDir, { recursive: true, force: true });
});

describe("job manager", () => {
  it("runs one job at a time, in order, and records stages, progress, logs and exit", async () => {
    const m = await open(runner(5, 30));
    const a = await m.trigger("pretrain", { preset: "tiny" }, "ops");
    const b = await m.trigger("pretrain", {}, "ops");
    expect((await m.get(b.id)).state).toBe("queued");
    // While a runs, b waits behind the single slot.
    const running = await m.get(a.id);
    expect(["queued", "running"]).toContain(running.state);
    await m.idle();
    const [ra, rb] = [await m.get(a.id), await m.get(b.id)];
    expect(ra.state).toBe("succeeded");
    expect(rb.state).toBe("succeeded");
    expect(Date.parse(rb.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ra.finishedAt!));
    expect(ra.stages).toEqual([expect.objectContaining({ name: "pretrain", state: "succeeded", metrics: { steps: 5 } })]);
    expect(ra.exit).toEqual({ code: 0, signal: null });
    expect(ra.triggeredBy).toBe("ops");
    expect(ra.config).toEqual({ preset: "tiny" });
    const logs = await m.logs(a.id);
    expect(logs).toContain("step 5");
    expect(logs[0]).toBe(`job dir ${join(dataDir, "jobs", a.id)}`);
    // The record on disk is the same as the one served.
    expect(JSON.parse(await readFile(join(dataDir, "jobs", a.id, "job.json"), "utf8"))).toEqual(ra);
    expect((await m.list()).map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await m.list({ state: "succeeded", limit: 1 })).length).toBe(1);
  });

  it("streams every change to watchers until the job ends", async () => {
    const m = await open(runner(4, 30));
    const job = await m.trigger("pretrain", {}, null);
    const events: JobEvent[] = [];
    for await (const e of m.watch(job.id)) events.push(e);
    expect(events[0]!.type).toBe("snapshot");
    expect(events.filter((e) => e.type === "progress").map((e) => e.job.progress!.done)).toEqual([1, 2, 3, 4]);
    expect(events.some((e) => e.type === "log" && e.line === "step 2")).toBe(true);
    expect(events.at(-1)!.job.state).toBe("succeeded");
    // Watching a finished job gives its snapshot and ends.
    const again: JobEvent[] = [];
    for await (const e of m.watch(job.id)) again.push(e);
    expect(again.map((e) => e.type)).toEqual(["snapshot"]);
  });

  it("cancels queued and running jobs, and resumes a cancelled one", async () => {
    const m = await open(runner(200, 20));
    const a = await m.trigger("pretrain", {}, null);
    const b = await m.trigger("pretrain", {}, null);
    const queued = await m.cancel(b.id);
    expect(queued.state).toBe("cancelled");
    expect(queued.resumable).toBe(false);
    for (;;) {
      if (((await m.get(a.id)).progress?.done ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const cancelled = await m.cancel(a.id);
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.exit?.signal).toBe("SIGTERM");
    expect(cancelled.resumable).toBe(true);
    await expect(m.cancel(a.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(m.resume(b.id)).rejects.toBeInstanceOf(JobError);
    await m.resume(a.id);
    expect((await m.get(a.id)).state).not.toBe("cancelled");
    await m.cancel(a.id);
  });

  it("records a failing job with the reason from its log, and refuses to resume a succeeded one", async () => {
    const m = await open(runner(1, 5, 3));
    const job = await m.trigger("pretrain", {}, null);
    await m.idle();
    const failed = await m.get(job.id);
    expect(failed.state).toBe("failed");
    expect(failed.exit).toEqual({ code: 3, signal: null });
    expect(failed.error).toMatch(/exited with code 3: pretrain failed: scripted failure/);
    expect(failed.stages[0]!.state).toBe("failed");
    expect(failed.resumable).toBe(true);
    const ok = await open(runner(1, 5));
    const other = await ok.trigger("pretrain", {}, null);
    await ok.idle();
    await expect(ok.resume(other.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(ok.get("j20000101-000000-none")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });

  it("marks a job that was running when its manager stopped as interrupted, and keeps queued ones queued", async () => {
    const m = await open(runner(500, 20));
    const a = await m.trigger("pretrain", {}, null);
    const b = await m.trigger("pretrain", {}, null);
    for (;;) {
      if ((await m.get(a.id)).state === "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await m.close();
    expect((await m.get(a.id)).state).toBe("interrupted");
    // A new manager (the API restarted) sees the same records and runs the queued job.
    const next = await open(runner(2, 5));
    expect((await next.get(a.id)).state).toBe("interrupted");
    expect((await next.get(a.id)).resumable).toBe(true);
    await next.idle();
    expect((await next.get(b.id)).state).toBe("succeeded");
    await next.resume(a.id);
    await next.idle();
    const resumed = await next.get(a.id);
    expect(resumed.state).toBe("succeeded");
    expect(resumed.attempts).toBe(2);
  });

  it("substitutes {job}, {data}, {id} and {resume} in the container command", async () => {
    const m = await open(createContainerRunner({ command: `${process.execPath} -e console.error(process.argv.slice(1).join("|")) {job} {data} {id} {resume}` }));
    const job = await m.trigger("embed", {}, null);
    await m.idle();
    expect((await m.logs(job.id))[0]).toBe(`${join(dataDir, "jobs", job.id)}|${dataDir}|${job.id}`);
    expect((await m.get(job.id)).state).toBe("succeeded");
  });
});
