// gs:// without a key (gcs-metadata.ts): tokens from the GCE/GKE metadata server, against a loopback
// metadata server (test/support/loopback-metadata.ts) whose tokens are the loopback GCS's own
// (test/support/loopback-gcs.ts), so the store checks each bearer token. Objects are written, read
// and listed with them; one token serves many calls until a minute before it expires; a revoked one
// is replaced once; no metadata server fails quickly naming the variables; a key set means the
// metadata server is never asked; LanceDB reaches the same store through the same server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, startSilentServer } from "../test/support/faulty-store.ts";
import { type LoopbackGcs, spawnLoopbackGcs } from "../test/support/loopback-gcs.ts";
import { closedHost, type LoopbackMetadata, startLoopbackMetadata } from "../test/support/loopback-metadata.ts";
import { setEnv } from "../test/support/loopback-s3.ts";
import { openStore } from "./connect.ts";
import type { StoreError } from "./errors.ts";
import { gcsMetadataSettings, METADATA_TIMEOUT_MS } from "./gcs-metadata.ts";
import { checkGcsCredentials, GcsObjects } from "./gcs-objects.ts";
import { parseStoreUri } from "./store-location.ts";

let gcs: LoopbackGcs;
let metadata: LoopbackMetadata;
let closed: string;
let dir: string;
let n = 0;
const started: { close(): Promise<void> }[] = [];

/** A keyless environment: the metadata server at `host` (its fallback a closed port), the loopback GCS as the storage API. */
const keyless = (host: string, more: Record<string, string> = {}) => ({ GCE_METADATA_HOST: host, GCE_METADATA_IP: closed, GOOGLE_BASE_URL: gcs.endpoint, ...more });
const fresh = (env: Record<string, string>) => new GcsObjects(parseStoreUri(`gs://${gcs.bucket}/metadata-test-${n++}`), env);
/** Another metadata server handing out the loopback account's tokens (a fresh one has no token cached in this process). */
const another = async (expiresIn?: number) => {
  const m = await startLoopbackMetadata({ key: gcs.key, expiresIn });
  started.push(m);
  return m;
};

beforeAll(async () => {
  gcs = await spawnLoopbackGcs();
  metadata = await startLoopbackMetadata({ key: gcs.key });
  closed = await closedHost();
  dir = await mkdtemp(join(tmpdir(), "vitrine-gcs-metadata-"));
}, 60_000);
afterAll(async () => {
  for (const s of started) await s.close();
  await metadata?.close();
  await gcs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("GCS settings without a key", () => {
  it("the metadata server's hosts as object_store reads them (GCE_METADATA_HOST, else GCE_METADATA_ROOT; GCE_METADATA_IP), GOOGLE_BASE_URL; a URL for a host, or a credential only LanceDB would read, fails naming the variable", () => {
    expect(gcsMetadataSettings({ GCE_METADATA_ROOT: "metadata.internal:8080", GCE_METADATA_IP: "10.0.0.9" })).toEqual({
      auth: "metadata",
      host: "metadata.internal:8080",
      ip: "10.0.0.9",
      baseUrl: "https://storage.googleapis.com",
      source: "the metadata server at metadata.internal:8080",
    });
    expect(gcsMetadataSettings({ GCE_METADATA_HOST: "127.0.0.1:8080", GCE_METADATA_ROOT: "ignored", GOOGLE_BASE_URL: "http://127.0.0.1:4443/" })).toMatchObject({
      host: "127.0.0.1:8080",
      baseUrl: "http://127.0.0.1:4443",
    });
    expect(() => gcsMetadataSettings({ GCE_METADATA_HOST: "http://169.254.169.254" })).toThrow("GCE_METADATA_HOST=http://169.254.169.254: expected the metadata server's host[:port], without http://");
    expect(() => gcsMetadataSettings({ GOOGLE_BASE_URL: "storage.googleapis.com" })).toThrow("GOOGLE_BASE_URL=storage.googleapis.com: expected http(s)://host[:port]");
    // Lance reads SERVICE_ACCOUNT (any case) as google_service_account: it would use that key while Vitrine asks the metadata server.
    for (const stray of ["SERVICE_ACCOUNT", "service_account_key", "GOOGLE_STORAGE_TOKEN"]) {
      expect(() => gcsMetadataSettings({ [stray]: "/secrets/sa.json" })).toThrow(`${stray} is set but no GOOGLE_SERVICE_ACCOUNT, GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT_KEY`);
    }
  });
});

describe("GCS objects with the metadata server's token", () => {
  it("objects are written, read, listed and deleted with one token from the metadata server, asked with Metadata-Flavor: Google, shared by every client of the process", async () => {
    const env = keyless(metadata.host);
    await checkGcsCredentials(env); // what a caller awaits before LanceDB is asked: the token is got, and kept
    const o = fresh(env);
    const first = await o.put("lease.json", '{"holder":"a"}', { ifNoneMatch: "*" });
    expect(first).toMatch(/^\d+$/);
    expect(await o.put("lease.json", '{"holder":"b"}', { ifNoneMatch: "*" })).toBeNull();
    expect((await o.get("lease.json"))?.text).toBe('{"holder":"a"}');
    await o.put("jobs/j1/job.json", "{}");
    expect(await o.list("")).toEqual(["jobs", "lease.json"]);
    await o.delete("lease.json");
    expect(await o.get("lease.json")).toBeNull();
    await Promise.all(Array.from({ length: 6 }, () => fresh(env).list("")));

    const s = metadata.stats();
    expect(s).toEqual({ tokens: 1, withoutFlavor: 0, unhandled: [] });
    expect((await gcs.stats()).unauthorised).toBe(0);
  });

  it("a token is used until a minute before it expires, then the metadata server is asked again; a revoked one is dropped once and the call goes through; one the store refuses fails naming the account", async () => {
    const m = await another(62); // usable for two seconds
    const env = keyless(m.host);
    const o = fresh(env);
    await o.put("a.json", "{}");
    await o.get("a.json");
    expect(m.stats().tokens).toBe(1);
    await new Promise((r) => setTimeout(r, 2_100));
    await o.get("a.json");
    await fresh(env).get("a.json");
    expect(m.stats().tokens).toBe(2);

    m.setExpiresIn(3600);
    const before = await gcs.stats();
    await gcs.revokeTokens();
    expect((await o.get("a.json"))?.text).toBe("{}"); // 401, a new token, sent again
    await o.get("a.json");
    expect(m.stats().tokens).toBe(3);
    expect((await gcs.stats()).unauthorised - before.unauthorised).toBe(1);

    // A token the store refuses: dropped and asked for once more, then the call fails naming the account to check.
    const stale = await startLoopbackMetadata({ token: "ya29.not-the-stores" });
    started.push(stale);
    const refused = await failure<StoreError>(fresh(keyless(stale.host)).get("a.json"));
    expect(stale.stats().tokens).toBe(2);
    expect(refused.message).toContain(
      `HTTP 401 AuthenticationRequired; check that the service account the metadata server at ${stale.host} hands out (the VM's, with the storage read-write scope, or the one Workload Identity binds to the pod) may read and write objects in bucket ${gcs.bucket} (Storage Object Admin)`,
    );
  });

  it("a key set: the metadata server is never asked", async () => {
    const m = await another();
    const o = fresh({ ...gcs.env, GCE_METADATA_HOST: m.host, GCE_METADATA_IP: m.host });
    await o.put("k.json", "{}");
    expect((await o.get("k.json"))?.text).toBe("{}");
    expect(m.stats()).toEqual({ tokens: 0, withoutFlavor: 0, unhandled: [] });
  });

  it("no metadata server: BAD_OPTION naming the variables, at once when the ports are closed and within the bound when nothing answers", async () => {
    const other = await closedHost();
    let t = Date.now();
    const refused = await failure<StoreError>(fresh(keyless(other)).get("x.json"));
    expect(Date.now() - t).toBeLessThan(1_000);
    expect((await failure<StoreError>(checkGcsCredentials(keyless(other)))).message).toBe(refused.message);
    expect([refused.code, refused.kind]).toEqual(["BAD_OPTION", "usage"]);
    expect(refused.message).toBe(
      `no service account key is set and the metadata server at ${other} did not answer (${other}: ECONNREFUSED; ${closed}: ECONNREFUSED): set GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT) = the path of a service account's JSON key file, or GOOGLE_SERVICE_ACCOUNT_KEY = the JSON itself; or run on GCE/GKE with a service account (the VM's, or one bound to the pod by Workload Identity), or name the metadata server with GCE_METADATA_HOST=HOST[:PORT]`,
    );

    // A host that takes the connection and never answers (as 169.254.169.254 may off GCE): the bound, then the fallback.
    const silent = await startSilentServer();
    started.push(silent);
    const silentHost = new URL(silent.endpoint).host;
    t = Date.now();
    const hung = await failure<StoreError>(fresh(keyless(silentHost)).put("x.json", "{}"));
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(METADATA_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(METADATA_TIMEOUT_MS + 1_500);
    expect(hung.code).toBe("BAD_OPTION");
    expect(hung.message).toContain(`did not answer (${silentHost}: no answer within ${METADATA_TIMEOUT_MS} ms; ${closed}: ECONNREFUSED): set GOOGLE_APPLICATION_CREDENTIALS`);

    // A shorter store bound shortens it too.
    t = Date.now();
    const short = await failure<StoreError>(fresh(keyless(silentHost, { GCE_METADATA_IP: silentHost, VITRINE_STORE_TIMEOUT_MS: "300" })).get("x.json"));
    expect(Date.now() - t).toBeLessThan(1_500);
    expect(short.message).toContain(`(${silentHost}: no answer within 300 ms): set`);
  });

  it("a server that is not a metadata server, one with no service account, and one that fails (after giving tokens, or from the start) fail naming what happened", async () => {
    // The loopback GCS answers there, without Metadata-Flavor: Google.
    const notMetadata = await failure<StoreError>(fresh(keyless(new URL(gcs.endpoint).host)).get("x.json"));
    expect(notMetadata.message).toContain("HTTP 401 without Metadata-Flavor: Google (not a metadata server)");

    const bare = await startLoopbackMetadata({});
    started.push(bare);
    const none = await failure<StoreError>(fresh(keyless(bare.host)).get("x.json"));
    expect(none.code).toBe("BAD_OPTION");
    expect(none.message).toContain("HTTP 404 The service account 'default' was not found on this instance.; no service account key is set, and the metadata server has no token for this machine");
    expect(none.message).toContain("Workload Identity); or set GOOGLE_APPLICATION_CREDENTIALS");

    // Tokens came from this server, then it stops answering: an outage, STORE_UNAVAILABLE, not a setup to fix.
    const m = await another(30); // within the minute's margin: every call asks again
    const env = keyless(m.host);
    await fresh(env).put("y.json", "{}");
    await m.close();
    const gone = await failure<StoreError>(fresh(env).get("y.json"));
    expect(gone.code).toBe("STORE_UNAVAILABLE");
    expect(gone.message).toMatch(
      /^the metadata server at 127\.0\.0\.1:\d+ is there \(it answered this process\) but gave no token now \(127\.0\.0\.1:\d+: [A-Z_]+; 127\.0\.0\.1:\d+: ECONNREFUSED\); check the node's metadata server/,
    );

    // A metadata server that fails (5xx) on first contact: an outage as well.
    const broken = await startLoopbackMetadata({ key: { ...gcs.key, token_uri: `http://${closed}/token` } });
    started.push(broken);
    const failing = await failure<StoreError>(fresh(keyless(broken.host)).get("y.json"));
    expect(failing.code).toBe("STORE_UNAVAILABLE");
    expect(failing.message).toContain(`is there (it answered this process) but gave no token now (${broken.host}: HTTP 500 `);
  });
});

describe("LanceDB without a key", () => {
  let restoreEnv: (() => void) | undefined;
  afterAll(() => restoreEnv?.());

  it("reaches gs:// through the same metadata server (object_store reads GCE_METADATA_HOST from the process): a table written by one connection is read by another", async () => {
    const m = await another();
    const env = keyless(m.host, { VITRINE_WORK_DIR: join(dir, "work") });
    // HOME without gcloud's application-default credentials, which object_store would take before the metadata server.
    restoreEnv = setEnv({ ...env, HOME: dir });
    const before = await gcs.stats();
    const data = `gs://${gcs.bucket}/lance-metadata-test`;
    const db = await openStore(data, env);
    const t = await db.createTable(
      "items",
      Array.from({ length: 16 }, (_, i) => ({ id: i, vector: [i, 1, 0, 1] })),
    );
    await t.add([{ id: 100, vector: [9, 9, 9, 9] }]);
    const table = await (await openStore(data, env)).openTable("items");
    expect(await table.countRows()).toBe(17);
    expect(await new GcsObjects(parseStoreUri(data), env).list("store")).toContain("items.lance");

    const after = await gcs.stats();
    expect(m.stats().tokens).toBeGreaterThanOrEqual(2); // LanceDB's and Vitrine's
    expect(m.stats().withoutFlavor).toBe(0);
    expect(after.selfSigned).toBe(before.selfSigned); // no key: no self-signed JWTs
    expect(after.unhandled).toEqual([]);
  });
});
