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

/** The ids of the result cards, in order. */
function cardIds(page: Page): Promise<string[]> {
  return page.$$eval("#results .card", (cards) => cards.map((c: any) => c.dataset.id));
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

  it("more like this: a card's similar items (the source first, never among them) with images, a summary and a way back to the query's page", async () => {
    const { page, requests, errors } = await open("/playground");
    await useKey(page, SHOP_KEYS.search);
    await page.fill("#query", "red");
    await page.fill("#k", "8");
    await page.click("#search-button");
    await page.waitForSelector("#results .card .more-like", { timeout: 20_000 });
    const queryIds = await cardIds(page);
    const source = await page.$eval("#results .card", (c: any) => ({ id: c.dataset.id, title: c.querySelector(".title").textContent.replace(/^\d+\. /, "") }));
    await page.click("#results .card .more-like");
    await page.waitForSelector("#similar-to", { timeout: 20_000 });
    expect(await page.textContent("#similar-to")).toBe(`similar to “${source.title}”`);
    expect(await page.textContent("#summary")).toMatch(/timings.*search [\d.]+ ms/);
    // The source item leads, marked; the similar items after it exclude it, and their images render.
    expect(await page.$eval("#results .card", (c: any) => [c.dataset.id, c.classList.contains("source")])).toEqual([source.id, true]);
    const similar = await page.$$eval("#results .card:not(.source)", (cards) => cards.map((c: any) => c.dataset.id));
    expect(similar.length).toBeGreaterThanOrEqual(1);
    expect(similar.length).toBeLessThanOrEqual(8);
    expect(similar).not.toContain(source.id);
    await imagesSettled(page, "#results .card:not(.source) img");
    const imgs = await imagesOf(page, "#results .card:not(.source) img");
    expect(imgs.length).toBeGreaterThanOrEqual(1);
    for (const img of imgs) expect(img.width, img.src).toBeGreaterThan(0);
    await screenshot(page, "playground-similar");
    // Back to the query's page, as it was.
    await page.click("#back-to-results");
    await page.waitForSelector("#path", { timeout: 5_000 });
    expect(await cardIds(page)).toEqual(queryIds);
    expect(requests.filter((u) => !u.startsWith(shop.url))).toEqual([]);
    // A search key may call similar; its only refusals are the releases and jobs lists (403).
    expect(errors.filter((e) => !/403/.test(e))).toEqual([]);
    await page.close();
  });

  it("facets: counts beside the results; clicking a category filters on it, a price bucket fills min and max", async () => {
    const { page, requests, errors } = await open("/playground");
    await useKey(page, SHOP_KEYS.read);
    await page.fill("#query", "red");
    await page.fill("#k", "30");
    await page.click("#search-button");
    await page.waitForSelector("#facets:not([hidden]) [data-facet=category] button.facet", { timeout: 20_000 });
    // The note says how many items were counted; the category counts add up to it.
    const counted = Number((await page.textContent("#facets-note"))?.match(/^Counts over (?:this query's first|the) (\d+) (?:ranked )?items?/)?.[1]);
    expect(counted).toBeGreaterThan(8);
    const notes = (await page.textContent("#facets [data-facet=category]"))?.match(/(\d+) (?:in other categories|without a category)/g) ?? [];
    const listed = await page.$$eval("#facets [data-facet=category] .count", (cs) => cs.reduce((s: number, c: any) => s + Number(c.textContent), 0));
    expect(listed + notes.reduce((s, n) => s + Number.parseInt(n, 10), 0)).toBe(counted);
    // The category with the fewest items, so the filter visibly changes the page.
    const categories = await page.$$eval("#facets [data-facet=category] button.facet", (bs) => bs.map((b: any) => ({ value: b.dataset.value, count: Number(b.querySelector(".count").textContent) })));
    expect(categories.length).toBeGreaterThanOrEqual(2);
    const pick = categories[categories.length - 1]!;
    await page.click(`#facets [data-facet=category] button.facet[data-value="${pick.value}"]`);
    await page.waitForFunction((v) => document.getElementById("applied")?.textContent?.includes(`category = ${JSON.stringify(v)}`), pick.value, { timeout: 20_000 });
    expect(await page.inputValue("#category")).toBe(pick.value);
    const cats = await page.$$eval("#results .card", (cards) => cards.map((c: any) => c.dataset.category));
    expect(cats.length).toBeGreaterThanOrEqual(1);
    expect(new Set(cats)).toEqual(new Set([pick.value]));
    // The clicked value now shows pressed; the facets were counted under the filter.
    expect(await page.$eval("#facets [data-facet=category] button.facet", (b: any) => [b.dataset.value, b.getAttribute("aria-pressed")])).toEqual([pick.value, "true"]);
    // A price bucket: min ≤ price < max, searched at once.
    const bucket = await page.$eval("#facets [data-facet=price] button.facet", (b: any) => ({ gte: b.dataset.gte, lt: b.dataset.lt }));
    await page.click("#facets [data-facet=price] button.facet");
    await page.waitForFunction((b) => document.getElementById("applied")?.textContent?.includes(`price ≥ ${b.gte} AND price < ${b.lt}`), bucket, { timeout: 20_000 });
    expect([await page.inputValue("#price-min"), await page.inputValue("#price-max")]).toEqual([bucket.gte, bucket.lt]);
    const prices = await page.$$eval("#results .card", (cards) => cards.map((c: any) => [c.dataset.category, Number(c.dataset.price)]));
    expect(prices.length).toBeGreaterThanOrEqual(1);
    for (const [cat, price] of prices) {
      expect(cat).toBe(pick.value);
      expect(price).toBeGreaterThanOrEqual(Number(bucket.gte));
      expect(price).toBeLessThan(Number(bucket.lt));
    }
    await screenshot(page, "playground-facets");
    expect(requests.filter((u) => !u.startsWith(shop.url))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("pages: next page (by cursor) shows the items ranked after page 1, previous page returns to it", async () => {
    const { page, errors } = await open("/playground");
    await useKey(page, SHOP_KEYS.read);
    await page.fill("#query", "dress");
    await page.fill("#k", "6");
    await page.click("#search-button");
    await page.waitForSelector("#pager:not([hidden])", { timeout: 20_000 });
    expect(await page.textContent("#page-number")).toBe("page 1");
    expect(await page.$eval("#prev-page", (b: any) => b.disabled)).toBe(true);
    const first = await cardIds(page);
    expect(first).toHaveLength(6);
    await page.click("#next-page");
    await page.waitForFunction(() => document.getElementById("page-number")?.textContent === "page 2", null, { timeout: 20_000 });
    const second = await cardIds(page);
    expect(second.length).toBeGreaterThanOrEqual(1);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    // Numbered by rank: page 2 starts at 7.
    expect(await page.$eval("#results .card .title", (t: any) => t.textContent)).toMatch(/^7\. /);
    await page.click("#prev-page");
    await page.waitForFunction(() => document.getElementById("page-number")?.textContent === "page 1", null, { timeout: 20_000 });
    expect(await cardIds(page)).toEqual(first);
    expect(errors).toEqual([]);
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
