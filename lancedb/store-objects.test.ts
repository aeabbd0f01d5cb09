// The StoreObjects contract (store-objects.ts) on every store a data URI takes — s3:// (s3rver behind
// its conditional-PUT guard), az:// (Azurite) and gs:// (the loopback GCS) — one test per promise,
// written once: of racing create-only writes exactly one lands, reads come back whole or bounded,
// a listing names what is directly under a folder, across pages, and a trained model's files go
// there once and come back whole to another machine's working folder. Each store's own version
// tokens, auth and errors are tested beside its client (azure-objects.test.ts, gcs-objects.test.ts).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoopbackStore, spawnLoopbackStore, storeUri, storeFixture, type StoreFixture } from "../test/support/loopback-store.ts";
import { localModelDir, storeModelSnapshot } from "./model-files.ts";
import { parseStoreUri } from "./store-location.ts";
import { storeObjects } from "./store-objects.ts";

describe.each(["s3", "az", "gs"] as const)("%s:// objects", (scheme) => {
  let store: LoopbackStore;
  let n = 0;
  const fresh = () => storeObjects(parseStoreUri(storeUri(store, `contract-${n++}`)), store.env);

  let dir: string;
  let fixture: StoreFixture<LoopbackStore> | undefined;
  beforeAll(async () => {
    fixture = await storeFixture(() => spawnLoopbackStore(scheme), `store-objects-${scheme}`);
    ({ server: store, dir } = fixture);
  }, 60_000);
  afterAll(() => fixture?.close());

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

  it("a model snapshot is stored once under models/<stamp>/ and copied back whole to another machine's working folder", async () => {
    const snapshot = join(dir, "snapshots", "m-20260101-000000");
    await mkdir(join(snapshot, "assets"), { recursive: true });
    const onnx = new Uint8Array(3000).map((_, i) => (i * 13) % 256);
    await writeFile(join(snapshot, "query.onnx"), onnx);
    await writeFile(join(snapshot, "assets", "tokenizer.json"), '{"vocab":["a"]}');
    const data = storeUri(store, "models-test");
    const uri = await storeModelSnapshot(data, snapshot);
    expect(uri).toBe(`${data}/models/m-20260101-000000`);
    await writeFile(join(snapshot, "query.onnx"), "changed after publishing");
    expect(await storeModelSnapshot(data, snapshot)).toBe(uri); // files.json there: not copied again

    process.env.VITRINE_WORK_DIR = join(dir, "server-work");
    const local = await localModelDir(uri);
    expect(local.startsWith(join(dir, "server-work"))).toBe(true);
    expect(new Uint8Array(await readFile(join(local, "query.onnx")))).toEqual(onnx);
    expect(await readFile(join(local, "assets", "tokenizer.json"), "utf8")).toBe('{"vocab":["a"]}');
    // A model published later (another stamp) is its own folder there, not the first one found again.
    const later = join(dir, "snapshots", "m-20260102-000000");
    await mkdir(later, { recursive: true });
    await writeFile(join(later, "query.onnx"), "the later export");
    const laterLocal = await localModelDir(await storeModelSnapshot(data, later));
    expect(laterLocal).not.toBe(local);
    expect(await readFile(join(laterLocal, "query.onnx"), "utf8")).toBe("the later export");
    await expect(localModelDir(`${data}/models/never-published`)).rejects.toMatchObject({ code: "RELEASE_INCOMPLETE" });
  });
});
