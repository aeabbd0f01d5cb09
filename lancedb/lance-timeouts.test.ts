// LanceDB's own requests on every store kind (s3://, az://, gs://) are bounded by
// VITRINE_STORE_TIMEOUT_MS (the storageOptions of store-location.ts): a store that accepts the
// connection and never answers, or one that stops answering once a table is open, makes the LanceDB
// call fail instead of hanging (the default test timeout is the bound that shows it; without these
// options one call waits tens of minutes), each request is sent once, and the error names the call,
// the store and the variable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envAt, failure as failureOf, type FaultyServer, REACH, startFailingServer, startSilencingProxy, startSilentServer, storeOrigin } from "../test/support/faulty-store.ts";
import { type LoopbackStore, spawnLoopbackStore, storeUri } from "../test/support/loopback-store.ts";
import { openStore } from "./connect.ts";
import { StoreError } from "./errors.ts";

const kinds = [
  {
    scheme: "s3" as const,
    reach: REACH.s3,
  },
  {
    scheme: "az" as const,
    reach: REACH.az,
  },
  {
    scheme: "gs" as const,
    reach: REACH.gs,
  },
];

const failure = (p: Promise<unknown>) => failureOf<StoreError>(p);

let n = 0;

// Concurrent: each test mostly waits on its own server (Lance's own retry pauses), and no two share one.
describe.concurrent.each(kinds)("$scheme:// LanceDB requests", ({ scheme, reach }) => {
  describe("a store that does not answer", () => {
    let silent: FaultyServer;
    let failing: FaultyServer;
    beforeAll(async () => {
      [silent, failing] = await Promise.all([startSilentServer(), startFailingServer(503)]);
    });
    afterAll(async () => {
      await Promise.all([silent?.close(), failing?.close()]);
    });

    it("connect and openTable on a store that accepts the connection and never answers fail saying so, naming the store and the variable; each request sent once", async () => {
      const data = `${scheme}://vitrine/lance-silent-${n++}`;
      const before = silent.requests();
      const db = await openStore(data, { ...reach(silent.endpoint), VITRINE_STORE_TIMEOUT_MS: "300" });
      const e = await failure(db.openTable("items"));
      expect(e).toBeInstanceOf(StoreError);
      expect(e.code).toBe("STORE_UNAVAILABLE");
      expect(e.message).toMatch(
        new RegExp(
          `^LanceDB openTable on ${data}/store: the store did not answer within 300 ms \\(GET http://127\\.0\\.0\\.1:\\d+/\\S+: .+\\); check the store and the network, or raise VITRINE_STORE_TIMEOUT_MS \\(now 300 ms; see "Timeouts" in docs/deployment\\.md\\)$`,
        ),
      );
      // Lance's own loops: its namespace listing at connect (2 tries of a listing Lance sends 6
      // times) and the table's listing (6 times). object_store sends none of them again: a
      // timed-out attempt is past the retry window (4 attempts each would be 72).
      expect(silent.requests() - before).toBeLessThanOrEqual(18);
    });

    it("quick failures (503) are retried at most 3 times per request, within the bound's first seconds", async () => {
      const data = `${scheme}://vitrine/lance-failing-${n++}`;
      const before = failing.requests();
      const db = await openStore(data, { ...reach(failing.endpoint), VITRINE_STORE_TIMEOUT_MS: "1500" });
      const e = await failure(db.openTable("items"));
      expect(e.code).toBe("STORE_UNAVAILABLE");
      expect(e.message).toMatch(new RegExp(`^LanceDB openTable on ${data}/store: the store failed \\(GET \\S+ \\(4 attempts\\): Server returned non-2xx status code: 503`));
      expect(e.message).toContain("VITRINE_STORE_TIMEOUT_MS=1500 bounds each request and its retries");
      expect(failing.requests() - before).toBeLessThanOrEqual(18 * 4);
    });
  });

  describe("a store that stops answering once a table is open", () => {
    let store: LoopbackStore;
    beforeAll(async () => {
      store = await spawnLoopbackStore(scheme);
    });
    afterAll(async () => {
      await store?.close();
    });

    it("a read of the open table fails naming the table; a missing table is still LanceDB's own answer", async () => {
      const data = storeUri(store, `lance-stops-${n++}`);
      const writer = await openStore(data, store.env);
      await writer.createTable(
        "items",
        Array.from({ length: 64 }, (_, i) => ({ id: i, vector: [i, i + 1, i + 2, i + 3] })),
      );
      const proxy = await startSilencingProxy(storeOrigin(store.env));
      try {
        const reader = await openStore(data, { ...envAt(store.env, proxy.endpoint), VITRINE_STORE_TIMEOUT_MS: "2000" });
        // Through the wrapped connection, table and query all work while the store answers.
        const missing = await failure(reader.openTable("nope"));
        expect(missing).not.toBeInstanceOf(StoreError);
        const table = await reader.openTable("items");
        expect(await table.countRows()).toBe(64);
        const batches = [];
        for await (const b of table.query().select(["id"])) batches.push(b);
        expect(batches.reduce((s, b) => s + b.numRows, 0)).toBe(64);

        proxy.silence();
        const e = await failure(table.search([1, 2, 3, 4]).limit(3).toArray());
        expect(e.code).toBe("STORE_UNAVAILABLE");
        expect(e.message).toMatch(new RegExp(`^LanceDB toArray on ${data}/store/items: the store did not answer within 2000 ms \\(`));
        expect(e.message).toContain("raise VITRINE_STORE_TIMEOUT_MS (now 2000 ms");
      } finally {
        await proxy.close();
      }
    });
  });
});
