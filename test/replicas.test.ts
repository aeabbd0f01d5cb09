// Two `vitrine serve` replicas on one data directory (the writer with jobs, a read replica with
// VITRINE_JOBS=off), each following the store's active pointer. While a client reads from both,
// a CLI publish, an activate over REST and a CLI rollback each switch both replicas with no failed
// read, within 5 s (the service checks the pointer every second).
import { spawn } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../core/index.ts";
import { getActiveRelease, publishRelease, writerLeasePath } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, retrieveOnce, startServe, type ServeProcess } from "./fixtures/serve-process.ts";
import { bothServe, readLoad } from "./fixtures/replica-load.ts";
import { until } from "./fixtures/until.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
let writer: ServeProcess;
let reader: ServeProcess;
beforeAll(async () => {
  shop = await importedShop({ items: 400, queries: 60 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() }); // r001
  [writer, reader] = await Promise.all([startServe(shop.dataDir, replicaEnv()), startServe(shop.dataDir, replicaEnv({ VITRINE_JOBS: "off" }))]);
}, 180_000);
afterAll(async () => {
  await Promise.all([writer?.stop(), reader?.stop()]);
  await shop?.cleanup();
});

function vitrine(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ["bin/vitrine.js", ...args], { env: replicaEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (b: Buffer) => (out += b));
    c.stderr.on("data", (b: Buffer) => (out += b));
    c.on("close", (code) => done({ code, out }));
  });
}

describe("two replicas on one store", () => {
  it("publish, activate and rollback switch both replicas with no failed read, within 5 s", async () => {
    const load = readLoad([writer, reader]);
    try {
      await until("first answers", () => (load.state.last.every((r) => r === "r001") ? true : null), 30_000);

      const published = await vitrine("publish", "--data", shop.dataDir);
      expect(published.code, published.out).toBe(0);
      expect((await getActiveRelease(shop.dataDir))?.id).toBe("r002");
      const afterPublish = await bothServe(load, "r002", Date.now());

      // Activate through the read replica's API (any replica may switch: the writer lease orders it).
      let t = Date.now();
      const res = await fetch(`${reader.url}/v1/releases/r001/activate`, { method: "POST", headers: { authorization: `Bearer ${REPLICA_KEYS.admin}` } });
      expect(res.status, await res.clone().text()).toBe(200);
      const afterActivate = await bothServe(load, "r001", t);

      // The clock starts once the CLI has moved the pointer, as after publish: the CLI's own
      // start-up (seconds on a loaded machine) is not the replicas' delay.
      const rolled = await vitrine("releases", "rollback", "--data", shop.dataDir);
      expect(rolled.code, rolled.out).toBe(0);
      const afterRollback = await bothServe(load, "r002", Date.now());

      expect(load.state.failures).toEqual([]);
      expect(load.state.reads).toBeGreaterThan(50);
      for (const ms of [afterPublish, afterActivate, afterRollback]) expect(ms).toBeLessThanOrEqual(5_000);
    } finally {
      await load.stop();
    }
    expect(load.state.failures).toEqual([]);
  }, 180_000);

  it("a switch while another writer holds the lease is a 409 CONFLICT naming the holder; the replicas keep serving", async () => {
    const holder = { token: "test-holder", pid: process.pid, host: hostname(), purpose: "publish", command: "vitrine publish (this test)", since: new Date().toISOString() };
    await writeFile(writerLeasePath(shop.dataDir), JSON.stringify(holder));
    try {
      const res = await fetch(`${reader.url}/v1/releases/r001/activate`, { method: "POST", headers: { authorization: `Bearer ${REPLICA_KEYS.admin}` } });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(409);
      expect(body.error.code).toBe("CONFLICT");
      expect(body.error.message).toContain(`pid ${process.pid} on ${hostname()}`);
      expect((await retrieveOnce(writer.url, "floral dress")).ok).toBe(true);
    } finally {
      await rm(writerLeasePath(shop.dataDir), { force: true });
    }
  });

  it("a second server with jobs on is refused at start, naming the one that runs them and VITRINE_JOBS=off", async () => {
    const second = await vitrine("serve", "--data", shop.dataDir, "--port", "0");
    expect(second.code, second.out).toBe(5);
    expect(second.out).toContain("JOBS_BUSY");
    expect(second.out).toContain(`pid ${writer.child.pid}`);
    expect(second.out).toContain("VITRINE_JOBS=off");
  }, 60_000);

  it("the read replica runs no jobs but lists them from the records; a trigger there is refused naming where it goes", async () => {
    const headers = { authorization: `Bearer ${REPLICA_KEYS.read}` };
    const [fromReader, fromWriter] = await Promise.all([reader, writer].map((s) => fetch(`${s.url}/v1/jobs`, { headers })));
    expect([fromReader!.status, fromWriter!.status]).toEqual([200, 200]);
    expect(await fromReader!.json()).toEqual(await fromWriter!.json());
    const trigger = await fetch(`${reader.url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${REPLICA_KEYS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "publish" }),
    });
    const body = (await trigger.json()) as { error: { code: string; message: string } };
    expect([trigger.status, body.error.code]).toEqual([503, "UNAVAILABLE"]);
    expect(body.error.message).toContain("VITRINE_JOBS=off");
  });
});
