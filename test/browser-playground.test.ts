// The playground and the docs UI in real Chromium, served by the real Node API over a demo shop
// imported with its images. Screenshots go to test-results/ (git-ignored).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imagesOf, imagesSettled, launchChromium, screenshot } from "./fixtures/chromium.ts";
import { SHOP_KEYS, serveDemoShop, type DemoShop } from "./fixtures/demo-shop.ts";

// Page functions run in Chromium; the project compiles without the DOM library, so they reach the page untyped.
declare const document: any;

let shop: DemoShop;
let browser: Browser;

beforeAll(async () => {
  [shop, browser] = await Promise.all([serveDemoShop({ jobs: true }), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

/** A page that records every request it makes and every error it logs. */
async function open(path: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(`${shop.url}${path}`);
  return { page, requests, errors };
}

async function useKey(page: Page, key: string): Promise<void> {
  await page.fill("#key", key);
  await page.click("#key-save");
  await page.waitForFunction(() => document.getElementById("key-state")?.textContent?.startsWith("key set"), null, { timeout: 5_000 });
}

describe("playground", () => {
  it("/ leads to it; with a key, a typed query shows product images with scores, the path and channels that served it, constraints and timings", async () => {
    const { page, requests, errors } = await open("/");
    expect(new URL(page.url()).pathname).toBe("/playground");
    await useKey(page, SHOP_KEYS.read);
    // The release picker lists the shop's release once a read key is set.
    await page.waitForFunction(() => document.getElementById("release").options.length > 1, null, { timeout: 10_000 });
    await page.fill("#query", "aster row hat");
    await page.press("#query", "Enter");
    await page.waitForSelector("#results .card img", { timeout: 20_000 });
    await imagesSettled(page, "#results img");
    const imgs = await imagesOf(page, "#results img");
    expect(imgs.length).toBeGreaterThanOrEqual(1);
    // Every product image rendered, each a thumbnail of /v1/images on this server.
    for (const img of imgs) {
      expect(img.width, img.src).toBeGreaterThan(0);
      expect(img.src).toMatch(new RegExp(`^${shop.url}/v1/images/[^/?]+\\?size=thumb$`));
    }
    const summary = await page.textContent("#summary");
    expect(["qid", "ann", "qid+ann"]).toContain(await page.textContent("#path"));
    expect(summary).toMatch(/channels/);
    expect(summary).toMatch(/brand = Aster Row \(“aster row”\)/);
    expect(summary).toMatch(/timings.*total [\d.]+ ms/);
    expect(await page.$$eval("#results .score", (s) => s.map((x) => x.textContent))).toEqual(expect.arrayContaining([expect.stringMatching(/^score -?\d\.\d{4}$/)]));
    await screenshot(page, "playground-search");
    // Nothing came from anywhere but this server (no CDN), and the page logged no error.
    expect(requests.filter((u) => !u.startsWith(shop.url))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("filters by brand, category and price, and says which constraints applied or were relaxed", async () => {
    const { page, errors } = await open("/playground");
    await useKey(page, SHOP_KEYS.search);
    await page.fill("#query", "hat");
    await page.fill("#brand", "Aster Row");
    await page.fill("#price-max", "150");
    await page.fill("#k", "5");
    await page.click("#search-button");
    await page.waitForSelector("#summary:not([hidden])", { timeout: 20_000 });
    expect(await page.textContent("#applied")).toMatch(/brand = "Aster Row".*price ≤ 150/);
    const prices = await page.$$eval("#results .card", (cards) => cards.length);
    expect(prices).toBeLessThanOrEqual(5);
    // A search key may not list releases: the picker says so instead of failing the page.
    expect(await page.$eval("#release", (s: any) => s.disabled)).toBe(true);
    expect(errors.filter((e) => !/403/.test(e))).toEqual([]);
    await page.close();
  });

  it("the jobs panel: a read key is told retraining needs an admin key; an admin key triggers a retrain and follows it over SSE to the end", async () => {
    const { page } = await open("/playground");
    await useKey(page, SHOP_KEYS.read);
    await page.click("#retrain");
    await page.waitForFunction(() => document.getElementById("jobs-status")?.textContent === "Retraining needs an admin key.", null, { timeout: 10_000 });
    await useKey(page, SHOP_KEYS.admin);
    await page.click("#retrain");
    // Live: the stand-in job process reports 6 steps, 150 ms apart; the page shows them as they come.
    await page.waitForFunction(() => document.getElementById("job-stage")?.textContent?.match(/pretrain: [1-5] \/ 6 steps/), null, { timeout: 20_000 });
    await page.waitForFunction(() => document.getElementById("job-state")?.textContent === "succeeded", null, { timeout: 30_000 });
    expect(await page.$eval("#job-progress", (p: any) => p.value)).toBe(1);
    expect(await page.textContent("#job-log")).toMatch(/step 6/);
    await page.waitForFunction(() => document.querySelector("#jobs-table tbody")?.textContent?.includes("succeeded"), null, { timeout: 10_000 });
    await screenshot(page, "playground-jobs");
    await page.close();
  });
});

describe("docs UI", () => {
  it("renders the OpenAPI document's operations with Swagger UI served from this server, offline", async () => {
    const { page, requests, errors } = await open("/docs");
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    const ops = await page.$$eval(".opblock-summary-path", (els) => els.map((e) => e.textContent?.replace(/\u200b/g, "")));
    expect(ops).toEqual(expect.arrayContaining(["/v1/retrieve", "/v1/images/{id}", "/healthz"]));
    expect(requests.filter((u) => !u.startsWith(shop.url))).toEqual([]);
    expect(errors).toEqual([]);
    await screenshot(page, "docs");
    await page.close();
  });
});
