import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData } from "../../ingest/index.ts";
import { solidImage, startServer, type TestServer } from "../../ingest/images/test-fixtures.ts";
import { createImageStore } from "./image-store.ts";
import type { ImageEntry } from "../http/index.ts";
import { until } from "../../test/fixtures/until.ts";

// A real import of a catalog laid out unlike the demo: photos in nested folders, one by absolute
// path, one over HTTP from a loopback server, an SVG, a missing file and an item without an image.
let dir: string;
let data: string;
let server: TestServer;
const bytes: Record<string, Buffer> = {};
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function writeCatalog(items: object[]) {
  await writeFile(join(dir, "shop", "export", "products.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-image-store-"));
  await mkdir(join(dir, "shop", "export", "media", "2026", "03"), { recursive: true });
  bytes.png = await solidImage(600, 400, { r: 200, g: 30, b: 30 });
  bytes.jpg = await solidImage(90, 120, { r: 20, g: 160, b: 40 }, "jpeg");
  bytes.http = await solidImage(300, 300, { r: 10, g: 20, b: 220 });
  bytes.svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#fc0"/><script>alert(1)</script></svg>');
  await writeFile(join(dir, "shop", "export", "media", "2026", "03", "dress red.png"), bytes.png);
  await writeFile(join(dir, "shop", "export", "media", "shoe.jpg"), bytes.jpg);
  await writeFile(join(dir, "shop", "export", "media", "logo.svg"), bytes.svg);
  server = await startServer({
    "/cdn/bag.png": (_req, res) => {
      res.setHeader("content-type", "image/png");
      res.end(bytes.http);
    },
  });
  await writeCatalog([
    { id: "p-png", title: "Red dress", image: "media/2026/03/dress red.png" },
    { id: "p-jpg", title: "Green shoe", image: join(dir, "shop", "export", "media", "shoe.jpg") },
    { id: "p-http", title: "Blue bag", image: `${server.base}/cdn/bag.png` },
    { id: "p-svg", title: "Yellow logo tee", image: "media/logo.svg" },
    { id: "p-missing", title: "Lost hat", image: "media/nowhere.png" },
    { id: "p-none", title: "Plain scarf" },
  ]);
  data = join(dir, "data");
  await importData({ catalog: join(dir, "shop", "export", "products.jsonl"), out: data, imageOptions: { allowPrivateHosts: true } });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function read(entry: ImageEntry | null) {
  if (!entry) throw new Error("no image");
  return entry.read();
}

describe("image store on the import's cache", () => {
  it("serves each original the import loaded, byte for byte, with its type and a content-hash ETag; the HTTP one without fetching again", async () => {
    const store = createImageStore({ dataDir: data });
    const hitsAfterImport = server.hits.get("/cdn/bag.png");
    expect(hitsAfterImport).toBe(1);
    await server.close();
    for (const [id, b, type] of [
      ["p-png", bytes.png, "image/png"],
      ["p-jpg", bytes.jpg, "image/jpeg"],
      ["p-http", bytes.http, "image/png"],
    ] as const) {
      const entry = await store.open(id, "original");
      expect(entry?.etag, id).toBe(`"o-${sha(b!)}"`);
      expect(entry?.maxAge).toBe(86_400);
      const got = await read(entry);
      expect(got.contentType, id).toBe(type);
      expect(Buffer.from(got.bytes).equals(b!), id).toBe(true);
    }
    // The catalog's folder is not read per request either: the originals live in the cache.
    await rm(join(dir, "shop", "export", "media", "shoe.jpg"));
    expect(Buffer.from((await read(await store.open("p-jpg", "original"))).bytes).equals(bytes.jpg!)).toBe(true);
  });

  it("serves a thumbnail: WebP at most 256 px a side, made once and kept in the cache", async () => {
    const store = createImageStore({ dataDir: data });
    const entry = await store.open("p-png", "thumb");
    expect(entry?.etag).toBe(`"t256-${sha(bytes.png!)}"`);
    const first = await read(entry);
    expect(first.contentType).toBe("image/webp");
    expect(await sharp(first.bytes).metadata()).toMatchObject({ format: "webp", width: 256, height: 171 });
    const cached = join(data, "cache", "images", "served", "thumb-256", sha(bytes.png!));
    const made = (await stat(cached)).mtimeMs;
    const again = await read(await store.open("p-png", "thumb"));
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect((await stat(cached)).mtimeMs).toBe(made);
    // Never enlarged.
    expect(await sharp((await read(await store.open("p-jpg", "thumb"))).bytes).metadata()).toMatchObject({ width: 90, height: 120 });
  });

  it("serves an SVG original as PNG (no script reaches a browser)", async () => {
    const store = createImageStore({ dataDir: data });
    const got = await read(await store.open("p-svg", "original"));
    expect(got.contentType).toBe("image/png");
    expect(await sharp(got.bytes).metadata()).toMatchObject({ format: "png", width: 40, height: 20 });
    expect(Buffer.from(got.bytes).includes("alert")).toBe(false);
  });

  it("knows no image for an unknown id, an item without one, or one whose image the import could not load", async () => {
    const store = createImageStore({ dataDir: data });
    for (const id of ["nope", "p-none", "p-missing"]) expect(await store.open(id, "original"), id).toBeNull();
  });

  it("falls back to the import's own thumbnail (PNG) when the original is gone or changed on disk", async () => {
    const store = createImageStore({ dataDir: data });
    const key = sha(bytes.http!);
    await writeFile(join(data, "cache", "images", "originals", key), bytes.jpg!);
    const entry = await store.open("p-http", "original");
    expect(entry).toMatchObject({ etag: `"s64-${key}"`, maxAge: 300 });
    const got = await read(entry);
    expect(got.contentType).toBe("image/png");
    expect(await sharp(got.bytes).metadata()).toMatchObject({ width: 64, height: 64 });
    // An import made before originals were kept has none: the same fallback, for thumbnails too.
    await rm(join(data, "cache", "images", "originals"), { recursive: true });
    expect((await store.open("p-png", "thumb"))?.etag).toBe(`"s64-${sha(bytes.png!)}"`);
  });

  it("follows a new import (import.json changes): new items, new images", async () => {
    const store = createImageStore({ dataDir: data, checkMs: 0 });
    expect(await store.open("p-new", "original")).toBeNull();
    await writeFile(join(dir, "shop", "export", "media", "new.png"), await solidImage(20, 20, { r: 1, g: 2, b: 3 }));
    await writeCatalog([{ id: "p-new", title: "New thing", image: "media/new.png" }]);
    await importData({ catalog: join(dir, "shop", "export", "products.jsonl"), out: data });
    // Requests keep the old index while the new one loads.
    const got = await read(await until("the new import", () => store.open("p-new", "original"), 10_000));
    expect(Buffer.from(got.bytes).equals(await readFile(join(dir, "shop", "export", "media", "new.png")))).toBe(true);
    expect(await store.open("p-png", "original")).toBeNull();
  });

  it("refuses work beyond its queue with UNAVAILABLE instead of queueing without end", async () => {
    const store = createImageStore({ dataDir: data, concurrency: 1, maxWaiting: 1 });
    const entries: ImageEntry[] = [];
    for (let i = 0; i < 4; i++) entries.push((await store.open("p-new", "original"))!);
    // Four reads at once for one slot and one waiting place: two are served, two refused at once.
    const reads = await Promise.allSettled(entries.map((e) => e.read()));
    expect(reads.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    for (const r of reads.slice(2)) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/too many image requests at once/) });
    // Thumbnails alike, and a failed or refused resize leaves no temporary file behind.
    const thumbs = await Promise.allSettled([0, 1, 2].map(async () => (await store.open("p-new", "thumb"))!.read()));
    expect(thumbs.every((t) => t.status === "fulfilled")).toBe(true);
    expect((await readdir(join(data, "cache", "images", "served", "thumb-256"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
