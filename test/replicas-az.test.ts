// The store on Azure Blob (a loopback Azurite, test/support/loopback-azurite.ts), as
// replicas-s3.test.ts has it on S3: `vitrine import` and `publish` write to az://container/prefix,
// two `vitrine serve` replicas (jobs off) read it and follow its active pointer. While clients read
// from both, a CLI publish, an activate over REST and a CLI rollback each reach both replicas within
// 5 s with no failed read; two publishes started together never share a release id (the lease's
// conditional Put Blob picks one); a publish killed with -9 mid-way leaves the replicas serving the
// active release and a lease the next publish takes over.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../core/index.ts";
import { allTableNames, getActiveRelease, listReleases, openStore, publishRelease, readWriterLease } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, startServe, type ServeProcess } from "./fixtures/serve-process.ts";
import { bothServe, readLoad } from "./fixtures/replica-load.ts";
import { until } from "./fixtures/until.ts";
import { spawnLoopbackAzurite, type LoopbackAzure } from "./support/loopback-azurite.ts";
import { setEnv } from "./support/loopback-s3.ts";

let az: LoopbackAzure;
let work: string;
let data: string;
let env: NodeJS.ProcessEnv;
let shop: Awaited<ReturnType<typeof importedShop>>;
let a: ServeProcess;
let b: ServeProcess;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  az = await spawnLoopbackAzurite();
  work = await mkdtemp(join(tmpdir(), "vitrine-az-work-"));
  restoreEnv = setEnv({ ...az.env, VITRINE_WORK_DIR: work });
  data = `az://${az.bucket}/shops/demo`;
  shop = await importedShop({ items: 400, queries: 60, out: data });
  await publishRelease({ dataDir: data, encoder: createHashEncoder() }); // r001
  env = replicaEnv({ ...az.env, VITRINE_WORK_DIR: work, VITRINE_JOBS: "off" });
  [a, b] = await Promise.all([startServe(data, env), startServe(data, env)]);
}, 180_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await shop?.cleanup();
  await az?.close();
  if (work) await rm(work, { recursive: true, force: true });
  restoreEnv?.();
});

interface Ran {
  code: number | null;
  pid: number;
  out: string;
}
function start(...args: string[]): { pid: number; done: Promise<Ran>; kill: (s: NodeJS.Signals) => void } {
  const c = spawn(process.execPath, ["bin/vitrine.js", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  c.stdout.on("data", (x: Buffer) => (out += x));
  c.stderr.on("data", (x: Buffer) => (out += x));
  return { pid: c.pid!, done: new Promise((done) => c.on("close", (code) => done({ code, pid: c.pid!, out }))), kill: (s) => c.kill(s) };
}
const vitrine = (...args: string[]) => start(...args).done;

const releaseIds = async () => (await listReleases(data)).map((r) => r.id).sort();

describe("the store on Azure Blob, two replicas", () => {
  it("publish, activate and rollback on az:// reach both replicas with no failed read, within 5 s", async () => {
    const load = readLoad([a, b]);
    try {
      await until("first answers", () => (load.state.last.every((r) => r === "r001") ? true : null), 30_000);

      const published = await vitrine("publish", "--data", data);
      expect(published.code, published.out).toBe(0);
      expect((await getActiveRelease(data))?.id).toBe("r002");
      const afterPublish = await bothServe(load, "r002", Date.now());

      const res = await fetch(`${b.url}/v1/releases/r001/activate`, { method: "POST", headers: { authorization: `Bearer ${REPLICA_KEYS.admin}` } });
      expect(res.status, await res.clone().text()).toBe(200);
      const afterActivate = await bothServe(load, "r001", Date.now());

      const rolled = await vitrine("releases", "rollback", "--data", data);
      expect(rolled.code, rolled.out).toBe(0);
      const afterRollback = await bothServe(load, "r002", Date.now());

      expect(load.state.failures).toEqual([]);
      expect(load.state.reads).toBeGreaterThan(50);
      console.log(`az replicas: both switched ${afterPublish} ms after publish, ${afterActivate} ms after activate, ${afterRollback} ms after rollback; ${load.state.reads} reads`);
      for (const ms of [afterPublish, afterActivate, afterRollback]) expect(ms).toBeLessThanOrEqual(5_000);
    } finally {
      await load.stop();
    }
    expect(load.state.failures).toEqual([]);
  }, 180_000);

  it("two publishes started together: each success has its own id, a refused one names the holder and left no table", async () => {
    const before = await releaseIds();
    const runs = await Promise.all([start("publish", "--data", data), start("publish", "--data", data)].map((c) => c.done));
    for (const r of runs) expect([0, 5], r.out).toContain(r.code);
    const won = runs.filter((r) => r.code === 0);
    expect(won.length).toBeGreaterThanOrEqual(1);
    const ids = won.map((r) => /\b(r\d{3,})\b/.exec(r.out)?.[1]);
    expect(new Set(ids).size).toBe(won.length);
    expect(await releaseIds()).toEqual([...before, ...ids].sort());
    for (const lost of runs.filter((r) => r.code === 5)) {
      expect(lost.out).toContain("WRITER_BUSY");
      expect(lost.out).toContain(`${data}/writer.lease`);
    }
    const tables = (await allTableNames(await openStore(data))).filter((t) => /^items_r/.test(t));
    expect(tables.sort()).toEqual((await releaseIds()).map((id) => `items_${id}`));
    expect(await readWriterLease(data)).toBeNull();
  }, 180_000);

  it("a publish killed with -9 mid-way: the replicas keep serving the active release, the next publish takes the lease over", async () => {
    const active = (await getActiveRelease(data))!.id;
    const before = await releaseIds();
    const load = readLoad([a, b], 2);
    try {
      const p = start("publish", "--data", data);
      await until("the publish holds the lease", async () => ((await readWriterLease(data))?.pid === p.pid ? true : null), 60_000, 20);
      p.kill("SIGKILL");
      expect((await p.done).code).toBeNull();
      expect(await releaseIds()).toEqual(before);
      expect((await getActiveRelease(data))?.id).toBe(active);

      const next = await vitrine("publish", "--data", data);
      expect(next.code, next.out).toBe(0);
      const id = (await getActiveRelease(data))!.id;
      expect(await releaseIds()).toEqual([...before, id].sort());
      await bothServe(load, id, Date.now());
      expect(load.state.failures).toEqual([]);
    } finally {
      await load.stop();
    }
    expect(load.state.failures).toEqual([]);
  }, 180_000);
});
