// A storefront on another origin, in real Chromium: a static page (served from 127.0.0.2, another
// host than the API's 127.0.0.1) calls retrieve with a search-only key through fetch and renders
// every result's image URL; every image loads. The same page from an origin the key is not for is
// refused: with CORS allowing that origin the page reads the 403 and its message, without CORS the
// browser keeps the answer from it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imagesOf, imagesSettled, launchChromium, screenshot } from "./fixtures/chromium.ts";
import { SHOP_KEYS, serveDemoShop, type DemoShop } from "./fixtures/demo-shop.ts";

// Page functions run in Chromium; the project compiles without the DOM library, so they reach the page untyped.
declare const document: any;

// The storefront: reads the API's URL, the key and the query from its own URL, renders what comes back.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<style>body{font-family:sans-serif} .grid{display:flex;flex-wrap:wrap;gap:8px} img{width:120px;height:120px;object-fit:contain}</style></head>
<body><h1>Shop</h1><div id="grid" class="grid"></div><p id="state">loading</p>
<script>
const p = new URLSearchParams(location.search);
fetch(p.get("api") + "/v1/retrieve", { method: "POST", headers: { authorization: "Bearer " + p.get("key"), "content-type": "application/json" }, body: JSON.stringify({ query: p.get("q"), k: Number(p.get("k")) }) })
  .then(async (res) => {
    const body = await res.json();
    if (!res.ok) throw new Error(res.status + " " + body.error.code + ": " + body.error.message);
    for (const item of body.items) {
      if (!item.image) continue;
      const img = document.createElement("img");
      img.src = item.image;
      img.alt = item.title;
      img.dataset.id = item.id;
      document.getElementById("grid").append(img);
    }
    document.getElementById("state").dataset.items = JSON.stringify(body.items.map((i) => [i.id, i.image]));
    document.getElementById("state").textContent = "done";
  })
  .catch((e) => { document.getElementById("state").textContent = "error: " + e.message; });
</script></body></html>`;

let shop: DemoShop;
let browser: Browser;
const sites: { server: Server; origin: string }[] = [];

/** A static server for the storefront page on a loopback host of its own. */
async function site(host: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  sites.push({ server, origin });
  return origin;
}

let storefront: string;
let otherApp: string;
let stranger: string;

beforeAll(async () => {
  [storefront, otherApp, stranger] = await Promise.all([site("127.0.0.2"), site("127.0.0.3"), site("127.0.0.4")]);
  // The search key is for the storefront only; the other app's origin may call the API (CORS) with keys of its own.
  [shop, browser] = await Promise.all([serveDemoShop({ searchOrigins: [storefront], config: { corsOrigins: [otherApp] } }), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await shop?.close();
  for (const s of sites) await new Promise((r) => s.server.close(r));
});

async function visit(origin: string, q: string, k = 40): Promise<{ page: Page; state: string }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(`${origin}/?${new URLSearchParams({ api: shop.url, key: SHOP_KEYS.search, q, k: String(k) })}`);
  await page.waitForFunction(() => document.getElementById("state")?.textContent !== "loading", null, { timeout: 20_000 });
  return { page, state: (await page.textContent("#state")) ?? "" };
}

describe("a storefront on another origin", () => {
  it("calls retrieve with its search key and renders every result's image: each an absolute URL of the API, each loaded", async () => {
    const { page, state } = await visit(storefront, "hat");
    expect(state).toBe("done");
    const items = JSON.parse((await page.getAttribute("#state", "data-items")) ?? "[]") as [string, string | null][];
    expect(items.length).toBe(40);
    const withImage = items.filter(([, image]) => image !== null);
    // The demo leaves a few items without an image: they say null, never a path.
    expect(withImage.length).toBeGreaterThan(30);
    for (const [id, image] of withImage) expect(image).toBe(`${shop.url}/v1/images/${encodeURIComponent(id)}`);
    await imagesSettled(page, "#grid img");
    const imgs = await imagesOf(page, "#grid img");
    expect(imgs.map((i) => i.src)).toEqual(withImage.map(([, image]) => image));
    for (const img of imgs) expect(img.width, img.src).toBeGreaterThan(0);
    await screenshot(page, "storefront");
    await page.close();
  });

  it("is refused from an origin the key is not for: 403 with the reason where CORS lets the page read it, a CORS failure elsewhere", async () => {
    const other = await visit(otherApp, "hat");
    expect(other.state).toBe(`error: 403 FORBIDDEN: key "web" may be used only from ${storefront}, not from ${otherApp}; add the origin to the key's origins, or use another key`);
    expect(await other.page.$$("#grid img")).toEqual([]);
    await other.page.close();
    const elsewhere = await visit(stranger, "hat");
    expect(elsewhere.state).toMatch(/^error: Failed to fetch/);
    await elsewhere.page.close();
    // What the browser hid from that page: the same refusal, with no CORS header.
    const direct = await fetch(`${shop.url}/v1/retrieve`, {
      method: "POST",
      headers: { origin: stranger, authorization: `Bearer ${SHOP_KEYS.search}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "hat" }),
    });
    expect([direct.status, direct.headers.get("access-control-allow-origin")]).toEqual([403, null]);
  });

  it("the key does nothing but search: the page's key is refused listing releases", async () => {
    const r = await fetch(`${shop.url}/v1/releases`, { headers: { origin: storefront, authorization: `Bearer ${SHOP_KEYS.search}` } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/is a search key: it may call retrieve, items\.get, similar only/);
  });
});
