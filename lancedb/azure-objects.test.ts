import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLoopbackAzurite, type LoopbackAzure } from "../test/support/loopback-azurite.ts";
import { AzureObjects, createStoreContainer } from "./azure-objects.ts";
import { openStore } from "./connect.ts";
import type { StoreError } from "./errors.ts";
import { parseStoreUri } from "./store-location.ts";
import { storeFixture, type StoreFixture } from "../test/support/loopback-store.ts";

let az: LoopbackAzure;
let fixture: StoreFixture<LoopbackAzure> | undefined;
let n = 0;
const fresh = () => new AzureObjects(parseStoreUri(`az://${az.bucket}/objects-test-${n++}`), az.env);

beforeAll(async () => {
  fixture = await storeFixture(spawnLoopbackAzurite, "azure-objects");
  az = fixture.server;
}, 60_000);
afterAll(() => fixture?.close());

describe("Azure Blob objects", () => {
  it("a record round-trips with its ETag; create-only and replace-this-version writes are refused when they should be", async () => {
    const o = fresh();
    expect(await o.get("lease.json")).toBeNull();
    const first = await o.put("lease.json", '{"holder":"a"}', { ifNoneMatch: "*" });
    expect(first).toMatch(/^"0x[0-9A-F]+"$/);
    const got = (await o.get("lease.json"))!;
    expect([got.text, got.etag]).toEqual(['{"holder":"a"}', first]);
    expect(got.ageSeconds).toBeLessThan(60); // the store's own clock: Date − Last-Modified

    expect(await o.put("lease.json", '{"holder":"b"}', { ifNoneMatch: "*" })).toBeNull(); // 409 BlobAlreadyExists
    expect(await o.put("lease.json", '{"holder":"b"}', { ifMatch: '"0x1234"' })).toBeNull(); // 412 ConditionNotMet
    expect(await o.put("absent.json", '{"holder":"b"}', { ifMatch: first! })).toBeNull(); // no such blob: no such version
    expect((await o.get("lease.json"))!.text).toBe('{"holder":"a"}');

    const second = await o.put("lease.json", '{"holder":"b"}', { ifMatch: first! });
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    expect(await o.put("lease.json", '{"holder":"c"}', { ifMatch: first! })).toBeNull(); // the old version is gone
    expect(await o.put("lease.json", '{"holder":"d"}')).not.toBeNull(); // unconditional
    expect((await o.get("lease.json"))!.text).toBe('{"holder":"d"}');
  });

  it("a missing container, a wrong key and an unreachable endpoint fail naming the fix", async () => {
    const missing = new AzureObjects(parseStoreUri("az://no-such-container/p"), az.env);
    await expect(missing.get("x.json")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("create container no-such-container first") });
    expect(await createStoreContainer("az://no-such-container", az.env)).toBe(true);
    expect(await createStoreContainer("az://no-such-container", az.env)).toBe(false); // there already
    expect(await missing.get("x.json")).toBeNull();

    const wrongKey = new AzureObjects(parseStoreUri(`az://${az.bucket}/p`), { ...az.env, AZURE_STORAGE_ACCOUNT_KEY: Buffer.from("wrong key").toString("base64") });
    const denied = (await wrongKey.get("x.json").catch((e: unknown) => e)) as StoreError;
    expect(denied.code).toBe("STORE_UNAVAILABLE");
    expect(denied.message).toMatch(/HTTP 403 .*check AZURE_STORAGE_ACCOUNT_NAME \/ AZURE_STORAGE_ACCOUNT_KEY/);

    const closed = new AzureObjects(parseStoreUri(`az://${az.bucket}/p`), { ...az.env, AZURE_STORAGE_ENDPOINT: "http://127.0.0.1:9/devstoreaccount1" });
    await expect(closed.put("x.json", "{}")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE", message: expect.stringContaining("check AZURE_STORAGE_ENDPOINT") });
    await expect(createStoreContainer("s3://bucket/p", az.env)).rejects.toMatchObject({ code: "BAD_OPTION" });
  });

  it("LanceDB reaches az:// with the same settings: a table written by one connection is read by another", async () => {
    const data = `az://${az.bucket}/lance-test`;
    const db = await openStore(data);
    const t = await db.createTable("t", [
      { id: 1, v: [1, 2] },
      { id: 2, v: [3, 4] },
    ]);
    await t.add([{ id: 3, v: [5, 6] }]);
    const other = await openStore(data);
    expect(await other.tableNames()).toEqual(["t"]);
    const rows = await (await other.openTable("t")).query().toArray();
    expect(rows.map((r) => r.id).sort()).toEqual([1, 2, 3]);
    expect(await new AzureObjects(parseStoreUri(data), az.env).list("store")).toContain("t.lance"); // under the prefix's store/
  });
});
