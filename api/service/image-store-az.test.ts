// The images of GET /v1/images/:id on an az:// store (a loopback Azurite), as image-store-s3.test.ts
// has them on S3: the import puts the originals in the store, and an image store on another
// machine's working folder (the importer's deleted) serves them byte for byte; an object that is
// too large or holds other bytes than its key is not served.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData } from "../../ingest/index.ts";
import { solidImage } from "../../ingest/images/test-fixtures.ts";
import { readStoreImage, STORE_IMAGES_DIR, writeDataFile } from "../../lancedb/index.ts";
import { spawnLoopbackAzurite, type LoopbackAzure } from "../../test/support/loopback-azurite.ts";
import { setEnv } from "../../test/support/loopback-s3.ts";
import { createImageStore } from "./image-store.ts";

let az: LoopbackAzure;
let dir: string;
let data: string;
let restoreEnv: (() => void) | undefined;
const bytes: Record<string, Buffer> = {};
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  az = await spawnLoopbackAzurite();
  dir = await mkdtemp(join(tmpdir(), "vitrine-image-store-az-"));
  restoreEnv = setEnv({ ...az.env, VITRINE_WORK_DIR: join(dir, "importer-work") });
  await mkdir(join(dir, "shop", "media"), { recursive: true });
  bytes.png = await solidImage(400, 300, { r: 200, g: 30, b: 30 });
  bytes.jpg = await solidImage(90, 120, { r: 20, g: 160, b: 40 }, "jpeg");
  await writeFile(join(dir, "shop", "media", "dress.png"), bytes.png);
  await writeFile(join(dir, "shop", "media", "shoe.jpg"), bytes.jpg);
  const rows = [
    { id: "p-png", title: "Red dress", image: "media/dress.png" },
    { id: "p-jpg", title: "Green shoe", image: "media/shoe.jpg" },
    { id: "p-none", title: "Plain scarf" },
  ];
  await writeFile(join(dir, "shop", "products.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n"));
  data = `az://${az.bucket}/shops/images`;
  await importData({ catalog: join(dir, "shop", "products.jsonl"), out: data });
  // Another machine: the importer's working folder (its image cache) is gone.
  await rm(join(dir, "importer-work"), { recursive: true, force: true });
}, 60_000);
afterAll(async () => {
  restoreEnv?.();
  await az?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("images on an az:// store", () => {
  it("a replica with an empty working folder serves the originals from the store, byte for byte", async () => {
    process.env.VITRINE_WORK_DIR = join(dir, "replica-work");
    const images = createImageStore({ dataDir: data });
    try {
      for (const [id, b, type] of [
        ["p-png", bytes.png, "image/png"],
        ["p-jpg", bytes.jpg, "image/jpeg"],
      ] as const) {
        const got = await (await images.open(id, "original"))!.read();
        expect([got.contentType, Buffer.from(got.bytes).equals(b!)], id).toEqual([type, true]);
      }
      expect(await images.open("p-none", "original")).toBeNull();
      const kept = await readdir(join(dir, "replica-work", "cache", "images", "originals"));
      expect(kept.sort()).toEqual([bytes.png, bytes.jpg].map((b) => sha(b!)).sort());
    } finally {
      await images.close();
    }
  });

  it("an object that is too large or holds other bytes than its key is not served", async () => {
    const key = sha(bytes.png!);
    expect(await readStoreImage(data, key)).toEqual(new Uint8Array(bytes.png!));
    expect(await readStoreImage(data, key, 100)).toBeNull(); // past the bound: the read stops
    const forged = sha(Buffer.from("not these bytes"));
    await writeDataFile(data, `${STORE_IMAGES_DIR}/${forged}`, "other bytes than the key's");
    expect(await readStoreImage(data, forged)).toBeNull();
  });
});
