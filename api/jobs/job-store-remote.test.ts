// Job records on an object store, each case on s3:// (a loopback s3rver), az:// (a loopback
// Azurite) and gs:// (the loopback GCS): the manager puts each record in the store whole on each
// change and the log's end beside it, so a manager restarted on a fresh disk finds its jobs and a
// read replica's jobs view (createJobsReader) lists them, reads status and log, and watches a
// running job to its end; the log object stays under its cap however long the log grows.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDataFile } from "../../lancedb/index.ts";
import { spawnLoopbackStore, storeUri, type LoopbackStore, storeFixture, type StoreFixture } from "../../test/support/loopback-store.ts";
import { createJobManager } from "./job-manager.ts";
import { createJobsReader } from "./job-reader.ts";
import { appendJobLog, jobDir, LOG_OBJECT_CAP, newJobId, writeJobRecord } from "./job-store.ts";
import { newJobRecord } from "./job-transitions.ts";
import { createContainerRunner } from "./runners.ts";
import type { JobEvent } from "./types.ts";

const SCRIPT = fileURLToPath(new URL("./test-support/scripted-job.mjs", import.meta.url));
const runner = (steps: number, ms: number) => createContainerRunner({ command: `${process.execPath} ${SCRIPT} {job} pretrain ${steps} ${ms} 0` });

describe.each(["s3", "az", "gs"] as const)("%s:// store", (scheme) => {
  let store: LoopbackStore;
  let dir: string;
  let fixture: StoreFixture<LoopbackStore> | undefined;
  let n = 0;
  const freshStore = () => storeUri(store, `jobs-test-${n++}`);
  /** Point this process's local working folder somewhere new (another machine's disk). */
  const workDir = (name: string) => {
    process.env.VITRINE_WORK_DIR = join(dir, name);
  };

  beforeAll(async () => {
    fixture = await storeFixture(() => spawnLoopbackStore(scheme), `jobstore-${scheme}`);
    ({ server: store, dir } = fixture);
  }, 60_000);
  afterAll(() => fixture?.close());

  describe(`job records on an ${scheme}:// store`, () => {
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
      expect(await replica.list({ state: "failed" })).toEqual([]);
      expect(await replica.logs(job.id, 2)).toEqual(["step 3", "step 4"]);
      await expect(replica.get("j20260101-000000-zzzz")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
      await expect(replica.logs("../../import.json")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
      for (const change of [() => replica.trigger("publish", {}, "ops"), () => replica.cancel(job.id), () => replica.resume(job.id)]) {
        await expect(change()).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("VITRINE_JOBS=off") });
      }
    }, 60_000);

    it("a read replica watches a running job through the store: snapshot, progress, stages, then its end", async () => {
      const data = freshStore();
      workDir("writer-disk");
      const manager = await createJobManager({ dataDir: data, runner: runner(8, 60), persistEveryMs: 0 });
      try {
        const job = await manager.trigger("pretrain", {}, "ops");
        const events: JobEvent[] = [];
        for await (const e of createJobsReader({ dataDir: data, pollMs: 20 }).watch(job.id)) events.push(e);
        expect(events[0]!.type).toBe("snapshot");
        expect(events.at(-1)).toMatchObject({ type: "state", job: { state: "succeeded" } });
        expect(events.some((e) => e.type === "progress")).toBe(true);
        // A watcher that stops early ends its stream.
        const ac = new AbortController();
        const second = await manager.trigger("pretrain", {}, "ops");
        const seen: JobEvent[] = [];
        for await (const e of createJobsReader({ dataDir: data, pollMs: 20 }).watch(second.id, ac.signal)) {
          seen.push(e);
          ac.abort();
        }
        expect(seen.map((e) => e.type)).toEqual(["snapshot"]);
        await manager.idle();
      } finally {
        await manager.close();
      }
    }, 60_000);

    it("the log object is the log's end, at most LOG_OBJECT_CAP bytes, from a line start; the local log keeps it all", async () => {
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
      expect((await readFile(join(jobDir(data, id), "log.txt"), "utf8")).split("\n").filter(Boolean)).toHaveLength(3000);
    });

    it("appends that come while the log is being put share the next put, and the store ends with every line", async () => {
      const data = freshStore();
      workDir("log-burst-disk");
      const id = newJobId();
      await writeJobRecord(data, newJobRecord({ id, kind: "pretrain", config: {}, triggeredBy: null }, new Date().toISOString()));
      await Promise.all(Array.from({ length: 40 }, (_, i) => appendJobLog(data, id, [`burst ${i}`])));
      const stored = (await readDataFile(data, `jobs/${id}/log.txt`))!;
      expect(stored).toBe(await readFile(join(jobDir(data, id), "log.txt"), "utf8"));
      expect(stored.split("\n").filter(Boolean).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `burst ${i}`).sort());
    });
  });
});
