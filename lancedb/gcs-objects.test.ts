// Google Cloud Storage objects (gcs-objects.ts) and LanceDB on gs://, against the loopback GCS
// (test/support/loopback-gcs.ts, written from GCS's documented XML API: no GCS account was used):
// records round-trip with their generation, the generation preconditions the leases need refuse
// what they should (races, bounded reads, listings and model files: store-objects.test.ts), the service
// account's token is exchanged once and reused, and a missing or wrong key, a missing bucket or an
// unreachable endpoint fail naming the fix. LanceDB reaches the same store with the same key.
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLoopbackGcs, type LoopbackGcs } from "../test/support/loopback-gcs.ts";
import { openStore } from "./connect.ts";
import type { StoreError } from "./errors.ts";
import { GcsObjects } from "./gcs-objects.ts";
import { parseStoreUri } from "./store-location.ts";
import { storeFixture, type StoreFixture } from "../test/support/loopback-store.ts";

let gcs: LoopbackGcs;
let fixture: StoreFixture<LoopbackGcs> | undefined;
let dir: string;
let n = 0;
const fresh = (env: Record<string, string> = gcs.env) => new GcsObjects(parseStoreUri(`gs://${gcs.bucket}/objects-test-${n++}`), env);
/** The loopback's key with some fields changed, as GOOGLE_SERVICE_ACCOUNT_KEY. */
const keyWith = (fields: Record<string, unknown>) => ({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({ ...gcs.key, ...fields }) });

beforeAll(async () => {
  fixture = await storeFixture(spawnLoopbackGcs, "gcs-objects");
  ({ server: gcs, dir } = fixture);
}, 60_000);
afterAll(() => fixture?.close());

describe("GCS objects", () => {
  it("a record round-trips with its generation; create-only (generation 0) and replace-this-generation writes are refused when they should be", async () => {
    const o = fresh();
    expect(await o.get("lease.json")).toBeNull();
    const first = await o.put("lease.json", '{"holder":"a"}', { ifNoneMatch: "*" });
    expect(first).toMatch(/^\d+$/); // the generation
    const got = (await o.get("lease.json"))!;
    expect([got.text, got.etag]).toEqual(['{"holder":"a"}', first]);
    expect(got.ageSeconds).toBeLessThan(60); // the store's own clock: Date − Last-Modified

    expect(await o.put("lease.json", '{"holder":"b"}', { ifNoneMatch: "*" })).toBeNull(); // 412: it is there
    expect(await o.put("lease.json", '{"holder":"b"}', { ifMatch: String(BigInt(first!) - 1n) })).toBeNull(); // a stale generation
    expect(await o.put("lease.json", '{"holder":"b"}', { ifMatch: '"an-s3-etag"' })).toBeNull(); // not a generation at all
    expect(await o.put("absent.json", '{"holder":"b"}', { ifMatch: first! })).toBeNull(); // no such object: no such generation
    expect((await o.get("lease.json"))!.text).toBe('{"holder":"a"}');

    const second = await o.put("lease.json", '{"holder":"b"}', { ifMatch: first! });
    expect(second).toMatch(/^\d+$/);
    expect(BigInt(second!)).toBeGreaterThan(BigInt(first!));
    expect(await o.put("lease.json", '{"holder":"c"}', { ifMatch: first! })).toBeNull(); // the old generation is gone
    expect(await o.put("lease.json", '{"holder":"d"}')).not.toBeNull(); // unconditional
    expect((await o.get("lease.json"))!.text).toBe('{"holder":"d"}');
    expect((await gcs.stats()).refused).toBeGreaterThanOrEqual(4); // the store refused them, not the client
  });

  it("the service account's token is exchanged at its token_uri once and reused across clients; a revoked one is replaced and the call goes through", async () => {
    const before = await gcs.stats();
    await gcs.revokeTokens(); // whatever an earlier test cached is now refused
    const a = fresh();
    expect(await a.put("x.json", "{}")).not.toBeNull(); // 401, a new token, sent again
    for (let i = 0; i < 5; i++) await fresh().get("x.json");
    await Promise.all(Array.from({ length: 5 }, () => fresh().list("")));
    const after = await gcs.stats();
    expect(after.tokensIssued - before.tokensIssued).toBe(1);
    expect(after.unauthorised - before.unauthorised).toBe(1);
  });

  it("a token within a minute of its expiry is not used: a store issuing 30 s tokens sees one exchange per call", async () => {
    const short = await spawnLoopbackGcs("shorttoken", { tokenTtlSeconds: 30 });
    try {
      const o = new GcsObjects(parseStoreUri(`gs://${short.bucket}/p`), short.env);
      await o.put("a.json", "{}");
      await o.get("a.json");
      await o.get("a.json");
      const s = await short.stats();
      expect([s.tokensIssued, s.unauthorised]).toEqual([3, 0]);
    } finally {
      await short.close();
    }
  });

  it("a wrong key, no auth, a missing bucket and an unreachable endpoint fail naming the fix; an ill-formed key before any request (no key at all: the metadata server, gcs-metadata.test.ts)", async () => {
    // Another RSA key under the same account and key id: /token checks the signature and refuses it.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const wrongFile = join(dir, "wrong-key.json");
    await writeFile(wrongFile, JSON.stringify({ ...gcs.key, private_key: privateKey }));
    const wrong = (await fresh({ GOOGLE_SERVICE_ACCOUNT: wrongFile })
      .get("x.json")
      .catch((e: unknown) => e)) as StoreError;
    expect(wrong.code).toBe("STORE_UNAVAILABLE");
    expect(wrong.message).toContain(`POST ${gcs.endpoint}/token (an access token for ${gcs.key.client_email}): HTTP 400 invalid_grant: Invalid JWT: bad signature`);
    expect(wrong.message).toContain(`check the service account key (GOOGLE_SERVICE_ACCOUNT=${wrongFile})`);

    // disable_oauth sends no token: this store wants one.
    const noAuth = (await fresh(keyWith({ disable_oauth: true }))
      .get("x.json")
      .catch((e: unknown) => e)) as StoreError;
    expect(noAuth.message).toMatch(/HTTP 401 AuthenticationRequired; check the service account key \(GOOGLE_SERVICE_ACCOUNT_KEY\)/);

    const missing = new GcsObjects(parseStoreUri("gs://no-such-bucket/p"), gcs.env);
    await expect(missing.get("x.json")).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
      message: expect.stringContaining("create bucket no-such-bucket first (gcloud storage buckets create gs://no-such-bucket)"),
    });
    await expect(missing.list("jobs")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("NoSuchBucket") });

    const closed = fresh(keyWith({ gcs_base_url: "http://127.0.0.1:9" }));
    await expect(closed.put("x.json", "{}")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("check the key's gcs_base_url (GOOGLE_SERVICE_ACCOUNT_KEY)") });

    expect(() => fresh(keyWith({ private_key: "not a key" }))).toThrow("GOOGLE_SERVICE_ACCOUNT_KEY: the service account key's private_key is not a PEM RSA private key");
  });

  it("LanceDB reaches gs:// with the same key (object_store's self-signed JWTs): a table created, added to and searched by one connection is listed and read by another", async () => {
    const before = await gcs.stats();
    const data = `gs://${gcs.bucket}/lance-test`;
    const db = await openStore(data, gcs.env);
    const t = await db.createTable(
      "items",
      Array.from({ length: 64 }, (_, i) => ({ id: i, vector: [i, i + 1, i % 5, 1] })),
    );
    await t.add([{ id: 100, vector: [50, 50, 50, 50] }]);
    expect((await t.search([50, 50, 50, 50]).limit(1).toArray()).map((r) => r.id)).toEqual([100]);

    const other = await openStore(data, gcs.env);
    expect(await other.tableNames()).toEqual(["items"]);
    const table = await other.openTable("items");
    expect(await table.countRows()).toBe(65);
    expect((await table.query().where("id >= 62").toArray()).map((r) => r.id).sort((a, b) => a - b)).toEqual([62, 63, 100]);
    expect(await new GcsObjects(parseStoreUri(data), gcs.env).list("store")).toContain("items.lance"); // under the prefix's store/

    const after = await gcs.stats();
    expect(after.unhandled).toEqual([]); // every call LanceDB made is one the loopback serves
    expect(after.selfSigned).toBeGreaterThan(before.selfSigned); // authorised by the account's own JWTs, checked against its key
    expect(after.calls["PUT object if-generation-match=0"]).toBeGreaterThan(before.calls["PUT object if-generation-match=0"] ?? 0); // its commits: create-only manifests
    expect(Object.keys(after.calls).filter((c) => c.startsWith("GET object"))).not.toEqual([]); // its reads
  });
});
