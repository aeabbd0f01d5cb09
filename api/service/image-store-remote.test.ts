// The images of GET /v1/images/:id on an object store, each case on s3:// (a loopback s3rver),
// az:// (a loopback Azurite) and gs:// (the loopback GCS): the import puts the originals in the
// store, and an image store on another machine's working folder (the importer's deleted) serves
// them — byte for byte, typed by their bytes, an SVG as PNG, thumbnails made from them — fetching
// each once. A store object that is too large or holds other bytes is not served, and an original
// missing from the store is refused naming the fix.
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData } from "../../ingest/index.ts";
import { solidImage } from "../../ingest/images/test-fixtures.ts";
import { deleteDataFile, readStoreImage, STORE_IMAGES_DIR, writeDataFile } from "../../lancedb/index.ts";
import { spawnLoopbackStore, storeUri, type LoopbackStore, storeFixture, type StoreFixture } from "../../test/support/loopback-store.ts";
import { createImageStore } from "./image-store.ts";

describe.each(["s3", "az", "gs"] as const)("%s:// store", (scheme) => {
  let store: LoopbackStore;
  let dir: string;
  let data: string;
  let fixture: StoreFixture<LoopbackStore> | undefined;
  const bytes: Record<string, Buffer> = {};
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const useWorkDir = (name: string) => {
    process.env.VITRINE_WORK_DIR = join(dir, name);
  };

  beforeAll(async () => {
    fixture = await storeFixture(() => spawnLoopbackStore(scheme), `image-store-${scheme}`, "importer-work");
    ({ server: store, dir } = fixture);
    await mkdir(join(dir, "shop", "media"), { recursive: true });
    bytes.png = await solidImage(400, 300, { r: 200, g: 30, b: 30 });
    bytes.jpg = await solidImage(90, 120, { r: 20, g: 160, b: 40 }, "jpeg");
    bytes.svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#fc0"/></svg>');
    for (const [name, b] of [
      ["dress.png", bytes.png],
      ["shoe.jpg", bytes.jpg],
      ["logo.svg", bytes.svg],
    ] as const)
      await writeFile(join(dir, "shop", "media", name), b!);
    const rows = [
      { id: "p-png", title: "Red dress", image: "media/dress.png" },
      { id: "p-jpg", title: "Green shoe", image: "media/shoe.jpg" },
      { id: "p-svg", title: "Yellow logo tee", image: "media/logo.svg" },
      { id: "p-none", title: "Plain scarf" },
    ];
    await writeFile(join(dir, "shop", "products.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n"));
    data = storeUri(store, "shops/images");
    await importData({ catalog: join(dir, "shop", "products.jsonl"), out: data });
    // Another machine: the importer's working folder (its image cache) is gone.
    await rm(join(dir, "importer-work"), { recursive: true, force: true });
  }, 60_000);
  afterAll(() => fixture?.close());

  describe(`images on an ${scheme}:// store`, () => {
    it("a replica with an empty working folder serves the originals from the store, typed by their bytes, and thumbnails of them", async () => {
      useWorkDir("replica-work");
      const images = createImageStore({ dataDir: data });
      try {
        for (const [id, b, type] of [
          ["p-png", bytes.png, "image/png"],
          ["p-jpg", bytes.jpg, "image/jpeg"],
        ] as const) {
          const entry = await images.open(id, "original");
          expect(entry?.etag, id).toBe(`"o-${sha(b!)}"`);
          const got = await entry!.read();
          expect([got.contentType, Buffer.from(got.bytes).equals(b!)], id).toEqual([type, true]);
        }
        // An SVG original is never sent as SVG (it can carry script): PNG, made from the store's copy.
        const svg = await (await images.open("p-svg", "original"))!.read();
        expect(svg.contentType).toBe("image/png");
        expect((await sharp(Buffer.from(svg.bytes)).metadata()).format).toBe("png");
        const thumb = await (await images.open("p-png", "thumb"))!.read();
        expect(thumb.contentType).toBe("image/webp");
        expect((await sharp(Buffer.from(thumb.bytes)).metadata()).width).toBe(256);
        expect(await images.open("p-none", "original")).toBeNull();
        expect(await images.open("p-unknown", "original")).toBeNull();
        // Each original was fetched once into this machine's working folder.
        const kept = await readdir(join(dir, "replica-work", "cache", "images", "originals"));
        expect(kept.sort()).toEqual([bytes.png, bytes.jpg, bytes.svg].map((b) => sha(b!)).sort());
      } finally {
        await images.close();
      }
    });

    it("an object that is too large or holds other bytes than its key is not served", async () => {
      const key = sha(bytes.png!);
      expect(await readStoreImage(data, key)).toEqual(new Uint8Array(bytes.png!));
      expect(await readStoreImage(data, key, 100)).toBeNull(); // past the bound: the read stops
      expect(await readStoreImage(data, "../import.json")).toBeNull();
      const forged = sha(Buffer.from("not these bytes"));
      await writeDataFile(data, `${STORE_IMAGES_DIR}/${forged}`, "other bytes than the key's");
      expect(await readStoreImage(data, forged)).toBeNull();
    });

    it("an original the store lacks (an import from before images were kept there) is refused naming the fix", async () => {
      await deleteDataFile(data, `${STORE_IMAGES_DIR}/${sha(bytes.jpg!)}`);
      useWorkDir("second-replica-work");
      const images = createImageStore({ dataDir: data });
      try {
        const err = await images.open("p-jpg", "original").catch((e: unknown) => e);
        expect(err).toMatchObject({ code: "IMAGE_NOT_FOUND", message: expect.stringContaining(`vitrine import --out ${data}`) });
        expect((await (await images.open("p-png", "original"))!.read()).contentType).toBe("image/png");
      } finally {
        await images.close();
      }
    });
  });
});
