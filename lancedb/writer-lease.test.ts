import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { assertWriterLease, holdJobsLease, JOBS_LEASE_FILE, readWriterLease, redactedCommand, withWriterLease, writerLeasePath, type LeaseHolder } from "./writer-lease.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-lease-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A lease file as another writer would have left it. */
async function plant(h: Partial<LeaseHolder>, ageMs = 0): Promise<void> {
  const holder: LeaseHolder = { token: "planted", pid: process.pid, host: hostname(), purpose: "publish", command: "vitrine publish --data x", since: new Date().toISOString(), ...h };
  await writeFile(writerLeasePath(dir), JSON.stringify(holder));
  const t = new Date(Date.now() - ageMs);
  await utimes(writerLeasePath(dir), t, t);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

describe("writer lease", () => {
  it("is held while the work runs and removed after, also when the work throws", async () => {
    await withWriterLease(dir, "publish", async () => {
      expect(await readWriterLease(dir)).toMatchObject({ pid: process.pid, host: hostname(), purpose: "publish" });
      await assertWriterLease(dir);
    });
    expect(existsSync(writerLeasePath(dir))).toBe(false);
    await expect(withWriterLease(dir, "gc", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(existsSync(writerLeasePath(dir))).toBe(false);
  });

  it("is shared by nested writers in one process (publish then gc in one verb)", async () => {
    const inner = await withWriterLease(dir, "publish", async () => {
      const token = (await readWriterLease(dir))!.token;
      await withWriterLease(dir, "gc", async () => expect((await readWriterLease(dir))!.token).toBe(token));
      return (await readWriterLease(dir))?.token;
    });
    expect(inner).toBeDefined();
    expect(existsSync(writerLeasePath(dir))).toBe(false);
  });

  it("refuses with WRITER_BUSY naming the live holder, its pid, host and the fix", async () => {
    await plant({ pid: process.ppid, purpose: "publish", command: "vitrine publish --data shop" });
    const err = await withWriterLease(dir, "activate r002", async () => "ran").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: "WRITER_BUSY", kind: "conflict" });
    const msg = (err as Error).message;
    expect(msg).toContain(`pid ${process.ppid} on ${hostname()}`);
    expect(msg).toContain("vitrine publish --data shop");
    expect(msg).toContain(writerLeasePath(dir));
    expect(msg).toMatch(/wait for it to finish/);
    expect((await readWriterLease(dir))?.token).toBe("planted"); // untouched
  });

  it("takes over at once from a holder on this host whose process is gone (kill -9)", async () => {
    await plant({ pid: deadPid() });
    expect(await withWriterLease(dir, "publish", async () => (await readWriterLease(dir))?.pid)).toBe(process.pid);
  });

  it("from another host: live while the heartbeat is fresh, taken over once it is older than the ttl", async () => {
    await plant({ host: "other-host", pid: 1 }, 5_000);
    await expect(withWriterLease(dir, "publish", async () => 0, { ttlMs: 30_000 })).rejects.toMatchObject({ code: "WRITER_BUSY" });
    await plant({ host: "other-host", pid: 1 }, 40_000);
    expect(await withWriterLease(dir, "publish", async () => (await readWriterLease(dir))?.host, { ttlMs: 30_000 })).toBe(hostname());
  });

  it("waits for the holder with waitMs and then takes the lease", async () => {
    await plant({ pid: process.ppid });
    setTimeout(() => void rm(writerLeasePath(dir)), 300);
    expect(await withWriterLease(dir, "publish", async () => "ran", { waitMs: 10_000 })).toBe("ran");
  });

  it("says the lease was lost when another writer took it over mid-write", async () => {
    await expect(
      withWriterLease(dir, "publish", async () => {
        await plant({ token: "thief", pid: process.ppid });
        await assertWriterLease(dir);
      }),
    ).rejects.toMatchObject({ code: "WRITER_LOST" });
    expect((await readWriterLease(dir))?.token).toBe("thief"); // the thief's lease is not removed by the loser
  });

  it("records the command line without the values of secret flags", () => {
    expect(redactedCommand(["bin/vitrine.js", "publish", "--data", "d", "--edge-token", "s3cret", "--edge-account=acc", "--edge-token=t0k", "--api-key"])).toBe(
      "bin/vitrine.js publish --data d --edge-token *** --edge-account=acc --edge-token=*** --api-key",
    );
  });

  it("the jobs lease: one job manager per directory, refused with JOBS_BUSY while another live one holds it", async () => {
    const release = await holdJobsLease(dir);
    expect(existsSync(join(dir, JOBS_LEASE_FILE))).toBe(true);
    await release();
    expect(existsSync(join(dir, JOBS_LEASE_FILE))).toBe(false);
    await writeFile(join(dir, JOBS_LEASE_FILE), JSON.stringify({ token: "other", pid: process.ppid, host: hostname(), purpose: "job manager", command: "vitrine serve", since: "t" }));
    await expect(holdJobsLease(dir)).rejects.toMatchObject({ code: "JOBS_BUSY", message: expect.stringContaining("VITRINE_JOBS=off") });
    expect(existsSync(writerLeasePath(dir))).toBe(false); // the writer lease is another file
  });

  it("names a missing data directory instead of creating it", async () => {
    await expect(withWriterLease(join(dir, "nope"), "publish", async () => 0)).rejects.toMatchObject({ code: "STORE_MISSING" });
  });
});
