import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImageLoader } from "./image-loader.ts";
import { noiseImage, pixel, solidImage } from "./test-fixtures.ts";

let root: string;
let catalogDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "vitrine-images-file-"));
  catalogDir = path.join(root, "catalog");
  await mkdir(path.join(catalogDir, "img"), { recursive: true });
  await writeFile(path.join(catalogDir, "img", "red.png"), await solidImage(120, 80, { r: 255, g: 0, b: 0 }));
  await writeFile(path.join(catalogDir, "img", "green.jpg"), await solidImage(50, 150, { r: 0, g: 255, b: 0 }, "jpeg"));
  await writeFile(
    path.join(catalogDir, "img", "random.png"),
    new Uint8Array(4096).map((_, i) => (i * 7919 + 5) & 255),
  );
  const png = await noiseImage(64, 64);
  await writeFile(path.join(catalogDir, "img", "truncated.png"), png.subarray(0, Math.floor(png.length / 2)));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function cacheDir(name: string): string {
  return path.join(root, "cache", name);
}

describe("image loader: local files", () => {
  it("loads a relative path against baseDir into an RGB thumbnail", async () => {
    const loader = createImageLoader({ cacheDir: cacheDir("relative"), size: 32, grid: 4 });
    const result = await loader.load("img/red.png", catalogDir);
    expect(result).toMatchObject({ ok: true, size: 32, cached: false, source: "file" });
    if (!result.ok) return;
    expect(result.thumb.length).toBe(32 * 32 * 3);
    expect(pixel(result.thumb, 32, 16, 16)).toEqual([255, 0, 0]);
    expect(result.key).toMatch(/^[0-9a-f]{64}$/);
    // An absolute path is read only inside the catalog's folder, or anywhere with allowOutsidePaths.
    const jpeg = path.join(catalogDir, "img", "green.jpg");
    expect((await loader.load(jpeg, catalogDir)).ok).toBe(true);
    expect(await loader.load(jpeg, "/elsewhere")).toMatchObject({ ok: false, reason: expect.stringMatching(/outside the catalog's folder/) });
    const anywhere = createImageLoader({ cacheDir: cacheDir("relative"), size: 32, grid: 4, allowOutsidePaths: true });
    expect((await anywhere.load(jpeg, "/elsewhere")).ok).toBe(true);
  });

  it("answers a second load from the thumbnail cache, also from a new loader on the same cacheDir", async () => {
    const dir = cacheDir("persist");
    const first = createImageLoader({ cacheDir: dir });
    const a = await first.load("img/red.png", catalogDir);
    const b = await first.load("img/red.png", catalogDir);
    expect(a).toMatchObject({ ok: true, cached: false });
    expect(b).toMatchObject({ ok: true, cached: true });
    if (!a.ok || !b.ok) return;
    expect(b.thumb).toEqual(a.thumb);
    expect(b.key).toBe(a.key);
    expect(await readdir(path.join(dir, "thumbs", "64"))).toEqual([`${a.key}.rgb`]);

    const second = createImageLoader({ cacheDir: dir });
    expect(await second.load("img/red.png", catalogDir)).toMatchObject({ ok: true, cached: true });
    expect(first.stats()).toMatchObject({ loaded: 2, failed: 0, cacheHits: 1, httpFetches: 0 });
    expect(second.stats()).toMatchObject({ loaded: 1, cacheHits: 1 });
  });

  it("keeps each original under originals/<key> (linked or copied), also when the thumbnail came from the cache", async () => {
    const dir = cacheDir("originals");
    const loader = createImageLoader({ cacheDir: dir });
    const a = await loader.load("img/red.png", catalogDir);
    const b = await loader.load("img/green.jpg", catalogDir);
    if (!a.ok || !b.ok) throw new Error("load failed");
    expect((await readdir(path.join(dir, "originals"))).sort()).toEqual([a.key, b.key].sort());
    expect(await readFile(path.join(dir, "originals", b.key))).toEqual(await readFile(path.join(catalogDir, "img", "green.jpg")));
    // An import on a cache made before originals were kept fills them in from the thumbnail-cache path.
    await rm(path.join(dir, "originals"), { recursive: true });
    const again = createImageLoader({ cacheDir: dir });
    expect(await again.load("img/red.png", catalogDir)).toMatchObject({ ok: true, cached: true });
    expect(await readFile(path.join(dir, "originals", a.key))).toEqual(await readFile(path.join(catalogDir, "img", "red.png")));
    expect((await readdir(path.join(dir, "originals"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("treats a damaged thumbnail cache file as a miss", async () => {
    const dir = cacheDir("damaged");
    const loader = createImageLoader({ cacheDir: dir, size: 16 });
    const a = await loader.load("img/red.png", catalogDir);
    if (!a.ok) throw new Error(a.reason);
    await writeFile(path.join(dir, "thumbs", "16", `${a.key}.rgb`), new Uint8Array(10));
    const b = await loader.load("img/red.png", catalogDir);
    expect(b).toMatchObject({ ok: true, cached: false });
    if (b.ok) expect(b.thumb).toEqual(a.thumb);
  });

  it("returns reasons, never throws, for missing, corrupt, oversize and unsupported sources", async () => {
    const loader = createImageLoader({ cacheDir: cacheDir("failures"), maxBytes: 3000 });
    const missing = await loader.load("img/nope.png", catalogDir);
    expect(missing).toEqual({ ok: false, reason: `file not found: ${path.join(catalogDir, "img", "nope.png")}` });
    expect(await loader.load("img/random.png", catalogDir)).toMatchObject({ ok: false, reason: expect.stringMatching(/^image too large/) });

    const roomy = createImageLoader({ cacheDir: cacheDir("failures") });
    expect(await roomy.load("img/random.png", catalogDir)).toMatchObject({ ok: false, reason: expect.stringMatching(/^corrupt image: /) });
    expect(await roomy.load("img/truncated.png", catalogDir)).toMatchObject({ ok: false, reason: expect.stringMatching(/^corrupt image: /) });
    expect(await roomy.load("img", catalogDir)).toMatchObject({ ok: false, reason: expect.stringMatching(/^not a file: /) });
    expect(await roomy.load("img/red.png/x.png", catalogDir)).toMatchObject({ ok: false, reason: expect.stringMatching(/^file not found: /) });
    expect(await roomy.load("data:image/png;base64,AAAA", catalogDir)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^unsupported image source: data:/),
    });
    expect(roomy.stats()).toMatchObject({ loaded: 0, failed: 5 });
  });

  it("loadMany keeps input order and reports progress", async () => {
    const loader = createImageLoader({ cacheDir: cacheDir("many"), size: 8, grid: 2, concurrency: 2 });
    const srcs = ["img/red.png", "img/nope.png", "img/green.jpg", "img/red.png", "img/random.png"];
    const progress: number[] = [];
    const results = await loader.loadMany(
      srcs.map((src) => ({ src, baseDir: catalogDir })),
      (done) => progress.push(done),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, false]);
    const [red, , green] = results;
    if (red?.ok && green?.ok) {
      expect(pixel(red.thumb, 8, 4, 4)).toEqual([255, 0, 0]);
      expect(pixel(green.thumb, 8, 4, 4)[1]).toBeGreaterThan(240);
    }
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(await loader.loadMany([])).toEqual([]);
  });

  it("throws on bad options (config mistakes)", () => {
    expect(() => createImageLoader({ cacheDir: "" })).toThrow(/cacheDir/);
    expect(() => createImageLoader({ cacheDir: cacheDir("bad"), size: 30, grid: 4 })).toThrow(/divisible/);
    expect(() => createImageLoader({ cacheDir: cacheDir("bad"), concurrency: 0 })).toThrow(/concurrency/);
    expect(() => createImageLoader({ cacheDir: cacheDir("bad"), retries: -1 })).toThrow(/retries/);
    expect(() => createImageLoader({ cacheDir: cacheDir("bad"), timeoutMs: 1.5 })).toThrow(/timeoutMs/);
  });
});
