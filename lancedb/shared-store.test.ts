// A server's pointer polls (getActiveRelease every second) reuse one LanceDB connection per store,
// on a local folder and on s3:// (a loopback S3), and still see every switch another connection
// writes; a connection whose call failed for other than the store's own answer is dropped and the
// next call connects again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../core/index.ts";
import { startLoopbackS3, type LoopbackS3 } from "../test/support/loopback-s3.ts";
import { openStore, storeConnectCount, withSharedStore } from "./connect.ts";
import { StoreError } from "./errors.ts";
import { activateRelease, getActiveRelease, listReleases, openRelease, publishRelease } from "./index.ts";
import { importedShop } from "./test-fixtures.ts";

let s3: LoopbackS3;
let work: string;
const saved: Record<string, string | undefined> = {};
const shops: Awaited<ReturnType<typeof importedShop>>[] = [];

beforeAll(async () => {
  s3 = await startLoopbackS3();
  work = await mkdtemp(join(tmpdir(), "vitrine-shared-store-"));
  for (const [k, v] of Object.entries({ ...s3.env, VITRINE_WORK_DIR: work })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
}, 60_000);
afterAll(async () => {
  for (const s of shops) await s.cleanup();
  await s3?.close();
  if (work) await rm(work, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function twoReleases(out?: string): Promise<string> {
  const shop = await importedShop({ items: 120, queries: 20, ...(out ? { out } : {}) });
  shops.push(shop);
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 0 }), topK: 10 }); // r001
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 1 }), topK: 10 }); // r002, active
  return shop.dataDir;
}

describe("the shared store connection of pointer polls", () => {
  for (const where of ["a local folder", "s3://"] as const) {
    it(`on ${where}: 20 polls open at most one connection and each sees the switch another connection wrote`, async () => {
      const dataDir = await twoReleases(where === "s3://" ? `s3://${s3.bucket}/shared-${Date.now()}` : undefined);
      expect((await getActiveRelease(dataDir))?.id).toBe("r002"); // the shared connection exists from here
      const before = storeConnectCount();
      for (let i = 0; i < 10; i++) expect((await getActiveRelease(dataDir))?.id).toBe("r002");
      expect(storeConnectCount()).toBe(before);

      // A writer (its own connection, under the writer lease) moves the pointer; the polls see it at once.
      await activateRelease(dataDir, "r001");
      const afterWrite = storeConnectCount();
      expect(afterWrite).toBeGreaterThan(before); // the writer's own connection: the counter counts
      for (let i = 0; i < 10; i++) expect((await getActiveRelease(dataDir))?.id).toBe("r001");
      // Loading the new release and listing releases go through the same connection.
      expect((await openRelease(dataDir)).info.id).toBe("r001");
      expect((await listReleases(dataDir)).map((r) => r.id)).toEqual(["r002", "r001"]);
      expect(storeConnectCount()).toBe(afterWrite);
    }, 120_000);
  }

  it("a call that fails on the connection drops it (the next one connects again); the store's own answers do not", async () => {
    const dataDir = await twoReleases();
    await getActiveRelease(dataDir);
    const base = storeConnectCount();

    // The store's answer (no such release): the connection is fine and kept.
    await expect(openRelease(dataDir, "r009")).rejects.toMatchObject({ code: "RELEASE_MISSING" });
    expect((await getActiveRelease(dataDir))?.id).toBe("r002");
    expect(storeConnectCount()).toBe(base);

    // Anything else (what LanceDB throws when the endpoint is gone): dropped, and one reconnect follows.
    const broken = await withSharedStore(dataDir, async () => {
      throw new Error("connection reset");
    }).catch((e: Error) => e);
    expect(broken).toMatchObject({ message: "connection reset" });
    expect((await getActiveRelease(dataDir))?.id).toBe("r002");
    expect(storeConnectCount()).toBe(base + 1);
    expect((await getActiveRelease(dataDir))?.id).toBe("r002");
    expect(storeConnectCount()).toBe(base + 1);

    // STORE_UNAVAILABLE (a direct S3 call failed) counts as the connection's trouble too.
    await withSharedStore(dataDir, async () => {
      throw new StoreError("STORE_UNAVAILABLE", "GET: HTTP 503");
    }).catch(() => undefined);
    await getActiveRelease(dataDir);
    expect(storeConnectCount()).toBe(base + 2);
  }, 120_000);

  it("a data directory that does not exist is refused each time and nothing is kept for it", async () => {
    const before = storeConnectCount();
    for (let i = 0; i < 2; i++) await expect(getActiveRelease("/nonexistent/vitrine-data")).rejects.toMatchObject({ code: "STORE_MISSING" });
    expect(storeConnectCount()).toBe(before);
    // openStore itself still connects every time (writers and one-off commands).
    const dir = shops[0]!.dataDir;
    const c = storeConnectCount();
    await openStore(dir);
    expect(storeConnectCount()).toBe(c + 1);
  });
});
