// The StoreObjects contract (store-objects.ts) on every store a data URI takes — s3:// (s3rver behind
// its conditional-PUT guard), az:// (Azurite) and gs:// (the loopback GCS) — one test per promise,
// written once: of racing create-only writes exactly one lands, reads come back whole or bounded,
// and a listing names what is directly under a folder, across pages. Each store's own version
// tokens, auth and errors are tested beside its client (azure-objects.test.ts, gcs-objects.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoopbackStore, spawnLoopbackStore, storeUri } from "../test/support/loopback-store.ts";
import { parseStoreUri } from "./store-location.ts";
import { storeObjects } from "./store-objects.ts";

describe.each(["s3", "az", "gs"] as const)("%s:// objects", (scheme) => {
  let store: LoopbackStore;
  let n = 0;
  const fresh = () => storeObjects(parseStoreUri(storeUri(store, `contract-${n++}`)), store.env);

  beforeAll(async () => {
    store = await spawnLoopbackStore(scheme);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it("of eight create-only writes of one object started together, exactly one lands", async () => {
    const o = fresh();
    const versions = await Promise.all(Array.from({ length: 8 }, (_, i) => o.put("race.json", JSON.stringify({ i }), { ifNoneMatch: "*" })));
    const won = versions.flatMap((v, i) => (v === null ? [] : [i]));
    expect(won).toHaveLength(1);
    expect(JSON.parse((await o.get("race.json"))!.text)).toEqual({ i: won[0] });
  });

  it("bytes read back whole, or bounded: null when absent, 'too large' past the bound", async () => {
    const o = fresh();
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7) % 256);
    await o.put("model/query.onnx", bytes);
    expect(await o.getBytes("model/query.onnx")).toEqual(bytes);
    expect(await o.getBytesUpTo("model/query.onnx", 4096)).toEqual(bytes);
    expect(await o.getBytesUpTo("model/query.onnx", 4095)).toBe("too large");
    expect(await o.getBytes("model/absent")).toBeNull();
    expect(await o.getBytesUpTo("model/absent", 10)).toBeNull();
  });

  it("a listing names the objects and sub-folders directly under a folder, sorted and bounded, across pages; names with spaces and non-ASCII are found", async () => {
    const o = fresh();
    for (const name of ["jobs/j2/job.json", "jobs/j1/job.json", "jobs/j1/log.txt", "jobs/readme.txt", "jobs/ä b.json", "jobsx/other.json", "top.json"]) await o.put(name, "{}");
    expect(await o.list("jobs")).toEqual(["j1", "j2", "readme.txt", "ä b.json"]);
    expect(await o.list("jobs/")).toEqual(["j1", "j2", "readme.txt", "ä b.json"]);
    expect(await o.list("jobs", 2)).toEqual(["j1", "j2"]);
    expect(await o.list("jobs/j1")).toEqual(["job.json", "log.txt"]);
    expect(await o.list("nothing")).toEqual([]);
    expect((await o.get("jobs/ä b.json"))?.text).toBe("{}");

    await o.delete("jobs/ä b.json");
    await o.delete("jobs/ä b.json"); // absent: no error
    expect(await o.get("jobs/ä b.json")).toBeNull();
    expect(await o.list("jobs")).toEqual(["j1", "j2", "readme.txt"]);

    // Past one page of 1,000: the continuation is followed.
    const many = fresh();
    await Promise.all(Array.from({ length: 1005 }, (_, i) => many.put(`images/${String(i).padStart(4, "0")}`, "x")));
    const names = await many.list("images");
    expect(names).toHaveLength(1005);
    expect(names.at(-1)).toBe("1004");
  }, 60_000);
});
