// The eval report (`vitrine eval` writes report.html) opened in real Chromium, for a catalog laid
// out unlike the demo: images in nested folders by relative path, by absolute path and over HTTP.
// Its example tiles are the import's thumbnails inlined, so every product image loads from the file
// alone; the page never scrolls sideways, even on a phone-sized window, and shows no server path.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../core/index.ts";
import { generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { imagesOf, imagesSettled, launchChromium, screenshot } from "./fixtures/chromium.ts";

// Page functions run in Chromium; the project compiles without the DOM library, so they reach the page untyped.
declare const document: any;

let dir: string;
let browser: Browser;
let media: Server;
const CLI = resolve("bin/vitrine.js");

/** `vitrine <args>` in `cwd`, as a user runs it (relative paths, so the command line names no server folder). */
function vitrine(cwd: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("exit", (status) => res({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-report-"));
  const src = join(dir, "generated");
  await generateDataset("demo", { out: src, items: 200, seed: 11 });
  // Re-lay the shop: a feed folder with images by category, a third by absolute path, a third from an image host.
  const feed = join(dir, "shop", "feeds", "2026-03");
  const served = join(dir, "image-host");
  await mkdir(served, { recursive: true });
  media = createServer(async (req, res) => {
    try {
      const body = await readFile(join(served, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "")));
      res.setHeader("content-type", "image/png");
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => media.listen(0, "127.0.0.1", r));
  const host = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  const rows = (await readFile(join(src, "catalog.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: string; image?: string; category?: string });
  const out: string[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.image) {
      const from = join(src, row.image);
      if (i % 3 === 2) {
        await rename(from, join(served, `${row.id}.png`));
        row.image = `${host}/${row.id}.png`;
      } else {
        const rel = join("assets", ...(row.category ?? "misc").toLowerCase().split(">"), `${row.id} photo.png`);
        await mkdir(join(feed, rel, ".."), { recursive: true });
        await rename(from, join(feed, rel));
        row.image = i % 3 === 0 ? rel : join(feed, rel);
      }
    }
    out.push(JSON.stringify(row));
  }
  await writeFile(join(feed, "products.jsonl"), `${out.join("\n")}\n`);
  await rm(join(src, "images"), { recursive: true });
  await importData({
    catalog: join(feed, "products.jsonl"),
    clicks: join(src, "clicks.jsonl"),
    evalClicks: join(src, "clicks-eval.jsonl"),
    out: join(dir, "data"),
    imageOptions: { allowPrivateHosts: true },
  });
  await publishRelease({ dataDir: join(dir, "data"), encoder: createHashEncoder() });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => media?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe("the eval report in Chromium", () => {
  it("shows every example's product image, never scrolls sideways, and names no server path", async () => {
    const run = await vitrine(dir, "eval", "--data", "data");
    expect(run.status, run.stderr).toBe(0);
    const report = join(dir, "data", "eval", "report.html");
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const failed: string[] = [];
      page.on("requestfailed", (r) => failed.push(r.url()));
      await page.goto(pathToFileURL(report).href);
      await imagesSettled(page, "figure img");
      const imgs = await imagesOf(page, "figure img");
      // Four example queries × five results, and this catalog gives (nearly) every item an image.
      expect(imgs.length, `${width}px`).toBeGreaterThanOrEqual(15);
      for (const img of imgs) {
        expect(img.width, img.src.slice(0, 60)).toBeGreaterThan(0);
        expect(img.src).toMatch(/^data:image\/png;base64,/);
      }
      const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(scroll, `horizontal overflow at ${width}px`).toBeLessThanOrEqual(client);
      const text = await page.evaluate(() => `${document.title}\n${document.body.innerText}`);
      for (const path of [dir, resolve("."), tmpdir(), "/home/", "/root"]) expect(text, `${width}px`).not.toContain(path);
      expect(failed).toEqual([]);
      await screenshot(page, `eval-report-${width}`);
      await page.close();
    }
  }, 300_000);
});
