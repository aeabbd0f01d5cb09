// The lease on an object store (store-lease.ts through writer-lease.ts), against a loopback S3 that
// honours conditional PUT, a loopback Azurite and the loopback GCS: racing takers get exactly one
// lease, a live holder is named, a free or stale one is taken, and a holder whose lease was taken
// over finds out before it commits.
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envAt, startAnswerLosingProxy, storeOrigin } from "../test/support/faulty-store.ts";
import { spawnLoopbackAzurite } from "../test/support/loopback-azurite.ts";
import { spawnLoopbackGcs } from "../test/support/loopback-gcs.ts";
import { setEnv, startLoopbackS3 } from "../test/support/loopback-s3.ts";
import { readStoreLease, tryStoreLease } from "./store-lease.ts";
import { parseStoreUri } from "./store-location.ts";
import { storeObjects } from "./store-objects.ts";
import { assertWriterLease, holdJobsLease, type Lease, readWriterLease, withWriterLease, WRITER_LEASE_FILE, type LeaseHolder } from "./writer-lease.ts";

/** A loopback store: its container / bucket, the environment that reaches it, and (S3's guard, the loopback GCS) the count of refused conditional PUTs. */
interface Loopback {
  bucket: string;
  env: Record<string, string>;
  refused?: () => Promise<number>;
  close(): Promise<void>;
}

let n = 0;
const holder = (token: string, extra: Partial<LeaseHolder> = {}): LeaseHolder => ({
  token,
  pid: process.pid,
  host: hostname(),
  purpose: "publish",
  command: "vitrine publish (test)",
  since: new Date().toISOString(),
  ...extra,
});
const neverStale = () => null;

const stores: { scheme: string; start: () => Promise<Loopback> }[] = [
  { scheme: "s3", start: () => startLoopbackS3() },
  { scheme: "az", start: () => spawnLoopbackAzurite() },
  {
    scheme: "gs",
    start: async () => {
      const gcs = await spawnLoopbackGcs();
      return { ...gcs, refused: async () => (await gcs.stats()).refused };
    },
  },
];

describe.each(stores)("lease on an $scheme:// store", ({ scheme, start }) => {
  let store: Loopback;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    store = await start();
    restoreEnv = setEnv(store.env);
  }, 60_000);
  afterAll(async () => {
    restoreEnv?.();
    await store?.close();
  });
  const freshStore = () => `${scheme}://${store.bucket}/lease-test-${n++}`;

  it("eight takers racing for a new lease: exactly one gets it, by the store's conditional PUT", async () => {
    const loc = parseStoreUri(freshStore());
    const refusedBefore = await store.refused?.();
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => tryStoreLease(loc, WRITER_LEASE_FILE, holder(`t${i}`), neverStale)));
    const winners = got.filter((g) => g && "lease" in g);
    expect(winners).toHaveLength(1);
    const owner = (await readStoreLease(loc, WRITER_LEASE_FILE))!.token;
    // The others either lost the PUT (refused, null: look again) or already saw the winner as the holder.
    for (const g of got) if (g && "busy" in g) expect(g.busy.token).toBe(owner);
    if (store.refused) expect((await store.refused()) - refusedBefore!).toBe(got.filter((g) => g === null).length);
  });

  it("a live holder is named in WRITER_BUSY; after it releases, the next writer takes the free lease", async () => {
    const data = freshStore();
    await withWriterLease(data, "publish", async () => {
      const nested = await withWriterLease(data, "activate r001", async () => "nested shares it").catch((e: Error) => e);
      expect(nested).toBe("nested shares it"); // one process: nested writers share the lease
      expect((await readWriterLease(data))?.pid).toBe(process.pid);
    });
    expect(await readWriterLease(data)).toBeNull(); // released: a free record
    const other = holder("other-host", { host: "some-other-host", pid: 1 });
    await storeObjects(parseStoreUri(data)).put(WRITER_LEASE_FILE, JSON.stringify(other), {});
    const busy = (await withWriterLease(data, "publish", async () => "ran").catch((e: Error) => e)) as Error & { code?: string };
    expect(busy.code).toBe("WRITER_BUSY");
    expect(busy.message).toContain("pid 1 on some-other-host");
    expect(busy.message).toContain(`${data}/${WRITER_LEASE_FILE}`);
  });

  it("a dead holder on this host is taken over at once; one from another host after the ttl by the store's clock", async () => {
    const data = freshStore();
    const objects = storeObjects(parseStoreUri(data));
    await objects.put(WRITER_LEASE_FILE, JSON.stringify(holder("dead", { pid: 2 ** 22 + 12345 })), {});
    expect(await withWriterLease(data, "publish", async () => (await readWriterLease(data))?.token)).not.toBe("dead");

    // From before the write: the store dates the record when the PUT arrives (Azurite: when it starts), not when it answers.
    const t = Date.now();
    await objects.put(WRITER_LEASE_FILE, JSON.stringify(holder("far", { host: "some-other-host", pid: 1 })), {});
    const took = await withWriterLease(data, "publish", async () => (await readWriterLease(data))?.token, { ttlMs: 1_000, waitMs: 10_000 });
    expect(took).not.toBe("far");
    expect(Date.now() - t).toBeGreaterThanOrEqual(900); // it waited out the ttl first
  });

  it("a holder whose lease was taken over fails its commit check (WRITER_LOST) and does not free the new holder's lease", async () => {
    const data = freshStore();
    const loc = parseStoreUri(data);
    const err = await withWriterLease(data, "publish", async () => {
      const took = await tryStoreLease(loc, WRITER_LEASE_FILE, holder("thief"), () => "judged stale");
      expect(took && "lease" in took).toBe(true);
      await assertWriterLease(data);
    }).catch((e: Error & { code?: string }) => e.code);
    expect(err).toBe("WRITER_LOST");
    expect((await readStoreLease(loc, WRITER_LEASE_FILE))?.token).toBe("thief");
  });

  it("beats asked for together share one request, and a beat that timed out after it landed does not lose the lease", async () => {
    // A proxy in front of the store that can hold back the answer of a conditional PUT the store took.
    const proxy = await startAnswerLosingProxy(storeOrigin(store.env));
    const restore = setEnv({ ...envAt(store.env, proxy.endpoint), VITRINE_STORE_TIMEOUT_MS: "1000" });
    try {
      const loc = parseStoreUri(freshStore());
      const got = await tryStoreLease(loc, WRITER_LEASE_FILE, holder(`beats-${n}`), neverStale);
      const lease = (got as { lease: Lease }).lease;
      // Two If-Match writes of one version at once would refuse one of them: a lost lease that is not.
      expect(await Promise.all([lease.beat(), lease.beat(), lease.isMine()])).toEqual([true, true, true]);

      proxy.loseNext(1, "hang");
      await expect(lease.beat()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("timed out after 1000 ms") });
      expect(await lease.beat()).toBe(true); // refused on the version before, but the record carries our token: ours
      expect(proxy.lost()).toHaveLength(1);
      expect(proxy.lost()[0]).toBeLessThan(300); // the store took the beat whose answer never came
      expect(await lease.isMine()).toBe(true);
      await lease.release();
      expect(await readStoreLease(loc, WRITER_LEASE_FILE)).toBeNull(); // released: free
    } finally {
      restore();
      await proxy.close();
    }
  });

  it("the jobs lease is its own object: a second job manager is refused with JOBS_BUSY", async () => {
    const data = freshStore();
    const release = await holdJobsLease(data);
    try {
      const other = holder("other-manager", { host: "some-other-host", pid: 1, purpose: "job manager" });
      const loc = parseStoreUri(`${data}-copy`);
      await storeObjects(loc).put("jobs.lease", JSON.stringify(other), {});
      const err = (await holdJobsLease(`${data}-copy`).catch((e: Error) => e)) as Error & { code?: string };
      expect(err.code).toBe("JOBS_BUSY");
      expect(await readWriterLease(data)).toBeNull();
    } finally {
      await release();
    }
  });
});
