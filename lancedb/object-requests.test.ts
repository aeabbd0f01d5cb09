// The object clients' requests (object-requests.ts) on every store kind (s3://, az://, gs://): a
// store that accepts the connection and never answers, or sends headers and stalls the body, fails
// the call with STORE_UNAVAILABLE saying it timed out (after how long, on which object, which variable sets the
// bound); a store failing with 5xx is tried a bounded number of times; and a conditional PUT whose
// answer was lost after the store committed it (a proxy's 502, a reset connection) returns its ETag
// on the retry, while another writer's conditional PUT is still refused.
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AnswerLosingProxy,
  envAt,
  failure as failureOf,
  type FaultyServer,
  REACH,
  startAnswerLosingProxy,
  startFailingServer,
  startSilentServer,
  startStallingServer,
  startTricklingServer,
  storeOrigin,
} from "../test/support/faulty-store.ts";
import { spawnLoopbackAzurite } from "../test/support/loopback-azurite.ts";
import { spawnLoopbackGcs } from "../test/support/loopback-gcs.ts";
import { setEnv, startLoopbackS3 } from "../test/support/loopback-s3.ts";
import type { StoreError } from "./errors.ts";
import { tryStoreLease } from "./store-lease.ts";
import { parseStoreUri } from "./store-location.ts";
import { type StoreObjects, storeObjects } from "./store-objects.ts";
import { withWriterLease, WRITER_LEASE_FILE } from "./writer-lease.ts";

/** The bound the tests set (by the environment variable, as a deployment would). */
const TIMEOUT = { VITRINE_STORE_TIMEOUT_MS: "300" };

interface Loopback {
  bucket: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

const kinds = [
  {
    scheme: "s3" as const,
    start: (): Promise<Loopback> => startLoopbackS3(),
    reach: REACH.s3,
  },
  {
    scheme: "az" as const,
    start: (): Promise<Loopback> => spawnLoopbackAzurite(),
    reach: REACH.az,
  },
  {
    scheme: "gs" as const,
    start: (): Promise<Loopback> => spawnLoopbackGcs(),
    reach: REACH.gs,
  },
];

const failure = (p: Promise<unknown>) => failureOf<StoreError>(p);

let n = 0;

describe.each(kinds)("$scheme:// object requests", ({ scheme, start, reach }) => {
  describe("a store that does not answer", () => {
    let silent: FaultyServer;
    let stalling: FaultyServer;
    let chunked: FaultyServer;
    beforeAll(async () => {
      [silent, stalling, chunked] = await Promise.all([startSilentServer(), startStallingServer(16, 64), startStallingServer(16)]);
    });
    afterAll(async () => {
      await Promise.all([silent?.close(), stalling?.close(), chunked?.close()]);
    });
    const uri = () => `${scheme}://vitrine/timeouts-${n++}`;
    const at = (server: FaultyServer, data = uri()) => storeObjects(parseStoreUri(data), { ...reach(server.endpoint), ...TIMEOUT });

    it("every operation on a store that accepts the connection and never answers fails saying it timed out, on which object, and how to raise the bound; not retried", async () => {
      const data = uri();
      const o = at(silent, data);
      const before = silent.requests();
      const calls: [string, () => Promise<unknown>][] = [
        [`GET ${data}/writer.lease`, () => o.get("writer.lease")],
        [`GET ${data}/model/query.onnx`, () => o.getBytes("model/query.onnx")],
        [`GET ${data}/images/abc`, () => o.getBytesUpTo("images/abc", 1024)],
        [`PUT ${data}/writer.lease`, () => o.put("writer.lease", "{}", { ifNoneMatch: "*" })],
        [`LIST ${data}/jobs/`, () => o.list("jobs")],
        [`DELETE ${data}/import.json`, () => o.delete("import.json")],
      ];
      for (const [what, call] of calls) {
        const e = await failure(call());
        expect(e.code).toBe("STORE_UNAVAILABLE");
        expect(e.message).toBe(`${what}: timed out after 300 ms waiting for the store's answer; check the store and the network, or raise VITRINE_STORE_TIMEOUT_MS (now 300 ms)`);
      }
      expect(silent.requests() - before).toBe(calls.length); // one attempt each: a hanging store is not asked again
    });

    it("a PUT's wait for the answer grows with the bytes it sends (a model file's upload is not cut at the timeout)", async () => {
      const data = uri();
      const e = await failure(at(silent, data).put("models/m/query.onnx", new Uint8Array(256 * 1024)));
      // 300 ms, plus 256 KiB at the slowest rate allowed (256 KiB/s).
      expect(e.message).toMatch(new RegExp(`^PUT ${data}/models/m/query.onnx: timed out after 1300 ms waiting for the store's answer`));
    });

    it("an answer whose body stalls after its headers fails saying how much of the body came", async () => {
      const data = uri();
      const o = at(stalling, data);
      for (const call of [() => o.get("embed.json"), () => o.getBytes("model/query.onnx"), () => o.getBytesUpTo("images/abc", 1024)]) {
        const e = await failure(call());
        expect(e.code).toBe("STORE_UNAVAILABLE");
        expect(e.message).toMatch(
          new RegExp(
            `^GET ${data}/\\S+: timed out after \\d+ ms reading the answer's body \\(16 of 64 bytes came\\); check the store and the network, or raise VITRINE_STORE_TIMEOUT_MS \\(now 300 ms\\)$`,
          ),
        );
      }
      // Without a Content-Length (chunked), the same.
      const e = await failure(at(chunked, data).get("embed.json"));
      expect(e.message).toMatch(/timed out after \d+ ms reading the answer's body \(16 bytes came\)/);
    });

    it("a body that keeps coming is not cut at the timeout: its bound grows with its size", async () => {
      // 30 chunks of 32 KiB, one every 50 ms: about 1.5 s in all against a 1 s timeout.
      const trickling = await startTricklingServer(32 * 1024, 30, 50);
      try {
        const o = storeObjects(parseStoreUri(uri()), { ...reach(trickling.endpoint), VITRINE_STORE_TIMEOUT_MS: "1000" });
        const bytes = await o.getBytes("model/query.onnx");
        expect(bytes?.byteLength).toBe(30 * 32 * 1024);
        expect(bytes?.[32 * 1024 * 29]).toBe(29);
      } finally {
        await trickling.close();
      }
    });

    it("a writer on a store that never answers fails to take the lease with the timeout, without running its work", async () => {
      const data = uri();
      const restore = setEnv({ ...reach(silent.endpoint), ...TIMEOUT });
      let ran = false;
      try {
        const e = await failure(
          withWriterLease(data, "publish", async () => {
            ran = true;
          }),
        );
        expect(e.code).toBe("STORE_UNAVAILABLE");
        expect(e.message).toContain(`GET ${data}/${WRITER_LEASE_FILE}: timed out after 300 ms`);
      } finally {
        restore();
      }
      expect(ran).toBe(false);
    });

    it("a store answering 503 is tried four times in all, then the call fails with its status", async () => {
      const failing = await startFailingServer(503);
      try {
        const o = at(failing);
        const e = await failure(o.put("writer.lease", "{}", { ifNoneMatch: "*" }));
        expect(e.code).toBe("STORE_UNAVAILABLE");
        expect(e.message).toMatch(/HTTP 503 .*retry later/);
        expect(failing.requests()).toBe(4);
      } finally {
        await failing.close();
      }
    });

    it("a bad VITRINE_STORE_TIMEOUT_MS fails naming the variable and what it takes", () => {
      for (const bad of ["soon", "0", "1.5", "99"]) {
        expect(() => storeObjects(parseStoreUri(uri()), { ...reach(silent.endpoint), VITRINE_STORE_TIMEOUT_MS: bad })).toThrow(
          `VITRINE_STORE_TIMEOUT_MS=${bad}: expected a whole number of milliseconds, 100–3600000 (default 30000)`,
        );
      }
    });
  });

  describe("a conditional PUT whose answer is lost after the store committed it", () => {
    let store: Loopback;
    let proxy: AnswerLosingProxy;
    beforeAll(async () => {
      store = await start();
      proxy = await startAnswerLosingProxy(storeOrigin(store.env));
    }, 60_000);
    afterAll(async () => {
      await proxy?.close();
      await store?.close();
    });
    const uri = () => `${scheme}://${store.bucket}/lost-answers-${n++}`;
    const objects = (data: string, through: "proxy" | "direct"): StoreObjects => storeObjects(parseStoreUri(data), through === "proxy" ? envAt(store.env, proxy.endpoint) : store.env);

    it.each(["502", "reset"] as const)("answer lost by %s: the writer gets its ETag, and another writer is still refused", async (how) => {
      const data = uri();
      const mine = objects(data, "proxy");
      const other = objects(data, "proxy");
      const direct = objects(data, "direct");
      const lostBefore = proxy.lost().length;

      proxy.loseNext(1, how);
      const created = await mine.put("writer.lease", '{"token":"mine","beat":0}', { ifNoneMatch: "*" });
      expect(created).not.toBeNull();
      expect(await direct.get("writer.lease")).toMatchObject({ text: '{"token":"mine","beat":0}', etag: created });

      // Another writer's create, its answer lost too: the store refused it, and the object holds other bytes.
      proxy.loseNext(1, how);
      expect(await other.put("writer.lease", '{"token":"other","beat":0}', { ifNoneMatch: "*" })).toBeNull();

      // A heartbeat (If-Match on our version), its answer lost: the new version is ours.
      proxy.loseNext(1, how);
      const beat = await mine.put("writer.lease", '{"token":"mine","beat":1}', { ifMatch: created! });
      expect(beat).not.toBeNull();
      expect(beat).not.toBe(created);
      expect(await direct.get("writer.lease")).toMatchObject({ text: '{"token":"mine","beat":1}', etag: beat });

      // The other writer replacing the version it read before: refused, its answer lost or not.
      proxy.loseNext(1, how);
      expect(await other.put("writer.lease", '{"token":"other","beat":1}', { ifMatch: created! })).toBeNull();
      expect(await other.put("writer.lease", '{"token":"other","beat":2}', { ifMatch: created! })).toBeNull();
      expect((await direct.get("writer.lease"))?.text).toBe('{"token":"mine","beat":1}');

      // The faults happened: four answers lost, two of writes the store took and two it refused.
      const lost = proxy.lost().slice(lostBefore);
      expect(lost.map((s) => (s >= 200 && s < 300 ? "took" : "refused"))).toEqual(["took", "refused", "took", "refused"]);
    });

    it("a lease taken and beaten through lost answers is still held: the holder does not think it lost it", async () => {
      const loc = parseStoreUri(uri());
      const restore = setEnv(envAt(store.env, proxy.endpoint));
      try {
        const me = { token: "holder-1", pid: process.pid, host: hostname(), purpose: "publish", command: "vitrine publish (test)", since: new Date().toISOString() };
        proxy.loseNext(1, "reset");
        const got = await tryStoreLease(loc, WRITER_LEASE_FILE, me, () => null);
        expect(got && "lease" in got).toBe(true);
        const lease = (got as { lease: { beat(): Promise<boolean>; isMine(): Promise<boolean> } }).lease;
        proxy.loseNext(2, "502");
        expect(await lease.beat()).toBe(true);
        expect(await lease.beat()).toBe(true);
        expect(await lease.isMine()).toBe(true);
        // A second taker finds it held (busy), not free.
        expect(await tryStoreLease(loc, WRITER_LEASE_FILE, { ...me, token: "holder-2" }, () => null)).toMatchObject({ busy: { token: "holder-1" } });
      } finally {
        restore();
      }
    });
  });
});
