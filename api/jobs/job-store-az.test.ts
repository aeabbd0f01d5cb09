// Job records on an az:// store (a loopback Azurite), as job-store-s3.test.ts has them on S3: a job
// run by one manager is found by the next on a fresh disk and by a read replica, record and log's
// end read from the store; the log object stays under its cap.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDataFile } from "../../lancedb/index.ts";
import { spawnLoopbackAzurite, type LoopbackAzure } from "../../test/support/loopback-azurite.ts";
import { setEnv } from "../../test/support/loopback-s3.ts";
import { createJobManager } from "./job-manager.ts";
import { createJobsReader } from "./job-reader.ts";
import { appendJobLog, LOG_OBJECT_CAP, newJobId, writeJobRecord } from "./job-store.ts";
import { newJobRecord } from "./job-transitions.ts";
import { createContainerRunner } from "./runners.ts";

const SCRIPT = fileURLToPath(new URL("./test-support/scripted-job.mjs", import.meta.url));
const runner = (steps: number, ms: number) => createContainerRunner({ command: `${process.execPath} ${SCRIPT} {job} pretrain ${steps} ${ms} 0` });

let az: LoopbackAzure;
let dir: string;
let restoreEnv: (() => void) | undefined;
let n = 0;
const freshStore = () => `az://${az.bucket}/jobs-test-${n++}`;
/** Point this process's local working folder somewhere new (another machine's disk). */
const workDir = (name: string) => {
  process.env.VITRINE_WORK_DIR = join(dir, name);
};

beforeAll(async () => {
  az = await spawnLoopbackAzurite();
  dir = await mkdtemp(join(tmpdir(), "vitrine-jobstore-az-"));
  restoreEnv = setEnv({ ...az.env, VITRINE_WORK_DIR: join(dir, "work") });
}, 60_000);
afterAll(async () => {
  restoreEnv?.();
  await az?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("job records on an az:// store", () => {
  it("a job run by one manager is found by the next on a fresh disk, and by a read replica with its log", async () => {
    const data = freshStore();
    workDir("first-disk");
    const first = await createJobManager({ dataDir: data, runner: runner(4, 10), persistEveryMs: 0 });
    const job = await first.trigger("pretrain", { preset: "tiny" }, "ops");
    await first.idle();
    const done = await first.get(job.id);
    await first.close();
    expect(done.state).toBe("succeeded");
    expect(JSON.parse((await readDataFile(data, `jobs/${job.id}/job.json`))!)).toEqual(done);

    workDir("second-disk");
    const second = await createJobManager({ dataDir: data, runner: runner(1, 1), persistEveryMs: 0 });
    try {
      expect(await second.list()).toEqual([done]);
      expect(await second.logs(job.id)).toContain("step 4"); // no local copy here: the store's
    } finally {
      await second.close();
    }

    workDir("replica-disk");
    const replica = createJobsReader({ dataDir: data });
    expect(await replica.get(job.id)).toEqual(done);
    expect(await replica.list({ state: "succeeded" })).toEqual([done]);
    expect(await replica.logs(job.id, 2)).toEqual(["step 3", "step 4"]);
    await expect(replica.get("j20260101-000000-zzzz")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
    await expect(replica.trigger("publish", {}, "ops")).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("VITRINE_JOBS=off") });
  }, 60_000);

  it("the log object is the log's end, at most LOG_OBJECT_CAP bytes, from a line start", async () => {
    const data = freshStore();
    workDir("log-disk");
    const id = newJobId();
    await writeJobRecord(data, newJobRecord({ id, kind: "pretrain", config: {}, triggeredBy: null }, new Date().toISOString()));
    const line = (i: number) => `line ${String(i).padStart(6, "0")} ${"x".repeat(100)}`;
    for (let batch = 0; batch < 6; batch++)
      await appendJobLog(
        data,
        id,
        Array.from({ length: 500 }, (_, i) => line(batch * 500 + i)),
      );
    const stored = (await readDataFile(data, `jobs/${id}/log.txt`))!;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(LOG_OBJECT_CAP);
    expect(Buffer.byteLength(stored)).toBeGreaterThan(LOG_OBJECT_CAP - 200);
    expect(stored.startsWith("line ")).toBe(true);
    expect(stored.endsWith(`${line(2999)}\n`)).toBe(true);
  });
});
