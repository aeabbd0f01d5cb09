import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImageLoader } from "./image-loader.ts";
import { delay, noiseImage, pixel, solidImage, startServer, type TestServer } from "./test-fixtures.ts";

let root: string;
let server: TestServer;
let red: Buffer;
let big: Buffer;
const colours = Array.from({ length: 12 }, (_, i) => ({ r: i * 20, g: 255 - i * 20, b: 100 }));

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "vitrine-images-http-"));
  red = await solidImage(100, 60, { r: 255, g: 0, b: 0 });
  big = await noiseImage(80, 80);
  const coloured = await Promise.all(colours.map((c) => solidImage(20, 20, c)));
  const png = (body: Buffer) => (_req: unknown, res: import("node:http").ServerResponse) => {
    res.setHeader("content-type", "image/png");
    res.end(body);
  };
  const routes: Parameters<typeof startServer>[0] = {
    "/red.png": png(red),
    "/again.png": png(red),
    "/flaky.png": (_req, res, hit) => {
      if (hit <= 2) {
        res.statusCode = 503;
        res.end("busy");
      } else png(red)(_req, res);
    },
    "/throttled.png": (_req, res, hit) => {
      if (hit === 1) {
        res.statusCode = 429;
        res.end();
      } else png(red)(_req, res);
    },
    "/always-503.png": (_req, res) => {
      res.statusCode = 503;
      res.end();
    },
    "/forbidden.png": (_req, res) => {
      res.statusCode = 403;
      res.end();
    },
    // Never answers within the test's timeout.
    "/slow.png": async (_req, res) => {
      await delay(5_000);
      png(red)(_req, res);
    },
    // Sends headers and half the body, then stalls.
    "/stall.png": async (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(red.subarray(0, 50));
      await delay(5_000);
      res.end(red.subarray(50));
    },
    "/big-declared.png": png(big),
    // Chunked, no Content-Length: the size check must count the body itself.
    "/big-chunked.png": (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      for (let i = 0; i < big.length; i += 1000) res.write(big.subarray(i, i + 1000));
      res.end();
    },
    "/to-red.png": (_req, res) => {
      res.writeHead(302, { location: "/red.png" }).end();
    },
    "/loop.png": (_req, res) => {
      res.writeHead(302, { location: "/loop.png" }).end();
    },
    // Set per test: a redirect to the loopback address itself.
    "/to-private.png": (_req, res) => {
      res.writeHead(302, { location: `${server.base}/red.png` }).end();
    },
    "/html.png": (_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<html>oops</html>");
    },
  };
  coloured.forEach((body, i) => {
    routes[`/c${i}.png`] = async (req, res) => {
      await delay(40);
      png(body)(req, res);
    };
  });
  server = await startServer(routes);
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh cache folder per loader, so tests do not share hits. */
function fresh(options: Omit<Parameters<typeof createImageLoader>[0], "cacheDir"> = {}) {
  const cacheDir = path.join(root, `cache-${n++}`);
  // The test server is on loopback, which only allowPrivateHosts lets the loader reach.
  return { cacheDir, loader: createImageLoader({ cacheDir, backoffMs: 5, allowPrivateHosts: true, ...options }) };
}

describe("image loader: http", () => {
  it("fetches a 200 into a thumbnail", async () => {
    const { loader } = fresh({ size: 16 });
    const result = await loader.load(`${server.base}/red.png`, "/unused");
    expect(result).toMatchObject({ ok: true, source: "http", cached: false, size: 16 });
    if (result.ok) expect(pixel(result.thumb, 16, 8, 8)).toEqual([255, 0, 0]);
    expect(loader.stats()).toMatchObject({ loaded: 1, httpFetches: 1, retries: 0, bytesFetched: red.length });
  });

  it("refuses loopback and private hosts unless allowed, however the address is spelled (issue 13 E)", async () => {
    const port = new URL(server.base).port;
    const guarded = createImageLoader({ cacheDir: path.join(root, `cache-${n++}`), backoffMs: 5 });
    const before = server.hits.get("/red.png") ?? 0;
    for (const url of [
      `${server.base}/red.png`,
      `http://0x7f000001:${port}/red.png`,
      `http://2130706433:${port}/red.png`,
      `http://[::1]:${port}/red.png`,
      `http://[::ffff:127.0.0.1]:${port}/red.png`,
      `http://localhost:${port}/red.png`,
    ]) {
      const r = await guarded.load(url, "/");
      expect(r, url).toMatchObject({ ok: false, reason: expect.stringMatching(/loopback or private address; pass --allow-private-hosts/) });
    }
    // A public-looking name that resolves to a private address is refused after resolution.
    const rebound = createImageLoader({ cacheDir: path.join(root, `cache-${n++}`), lookup: async () => ["10.1.2.3"] });
    expect(await rebound.load("http://images.shop.test/a.png", "/")).toMatchObject({ ok: false, reason: expect.stringMatching(/images\.shop\.test \(10\.1\.2\.3\)/) });
    expect(server.hits.get("/red.png") ?? 0).toBe(before);
    expect(guarded.stats()).toMatchObject({ retries: 0 });
  });

  it("checks every redirect hop, and fails a redirect loop once, without retries", async () => {
    // "public.test" resolves to a public address for the check; the fetch reaches the test server.
    const port = new URL(server.base).port;
    const viaPublicName = createImageLoader({
      cacheDir: path.join(root, `cache-${n++}`),
      backoffMs: 5,
      lookup: async () => ["93.184.216.34"],
      fetch: (input, init) => globalThis.fetch(String(input).replace(`public.test:${port}`, `127.0.0.1:${port}`), init),
    });
    const redBefore = server.hits.get("/red.png") ?? 0;
    expect(await viaPublicName.load(`http://public.test:${port}/to-private.png`, "/")).toMatchObject({ ok: false, reason: expect.stringMatching(/127\.0\.0\.1 is a loopback or private address/) });
    expect(server.hits.get("/red.png") ?? 0).toBe(redBefore);
    expect(await viaPublicName.load(`http://public.test:${port}/to-red.png`, "/")).toMatchObject({ ok: true });
    const { loader } = fresh();
    expect(await loader.load(`${server.base}/loop.png`, "/")).toEqual({ ok: false, reason: "too many redirects (more than 5)" });
    expect(server.hits.get("/loop.png")).toBe(6);
    expect(loader.stats()).toMatchObject({ retries: 0 });
  });

  it("does not retry a 404 or a 403", async () => {
    const { loader } = fresh();
    expect(await loader.load(`${server.base}/missing.png`, "/")).toEqual({ ok: false, reason: "http 404" });
    expect(server.hits.get("/missing.png")).toBe(1);
    expect(await loader.load(`${server.base}/forbidden.png`, "/")).toEqual({ ok: false, reason: "http 403" });
    expect(server.hits.get("/forbidden.png")).toBe(1);
    expect(loader.stats()).toMatchObject({ failed: 2, retries: 0 });
  });

  it("retries 503 twice then succeeds, and retries a 429", async () => {
    const { loader } = fresh();
    expect(await loader.load(`${server.base}/flaky.png`, "/")).toMatchObject({ ok: true });
    expect(server.hits.get("/flaky.png")).toBe(3);
    expect(loader.stats()).toMatchObject({ loaded: 1, httpFetches: 1, retries: 2 });
    expect(await loader.load(`${server.base}/throttled.png`, "/")).toMatchObject({ ok: true });
    expect(server.hits.get("/throttled.png")).toBe(2);
    expect(loader.stats()).toMatchObject({ loaded: 2, httpFetches: 2, retries: 3 });
  });

  it("gives up after the retries with the attempt count in the reason", async () => {
    const { loader } = fresh({ retries: 2 });
    expect(await loader.load(`${server.base}/always-503.png`, "/")).toEqual({ ok: false, reason: "http 503 (3 attempts)" });
    expect(server.hits.get("/always-503.png")).toBe(3);
  });

  it("times out a slow server and a stalled body quickly", async () => {
    const { loader } = fresh({ timeoutMs: 300, retries: 1 });
    const started = Date.now();
    const [slow, stall] = await Promise.all([loader.load(`${server.base}/slow.png`, "/"), loader.load(`${server.base}/stall.png`, "/")]);
    expect(slow).toEqual({ ok: false, reason: "timeout after 300 ms (2 attempts)" });
    expect(stall).toEqual({ ok: false, reason: "timeout after 300 ms (2 attempts)" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.hits.get("/slow.png")).toBe(2);
  });

  it("reports a refused connection as a network error", async () => {
    const closed = await startServer({});
    const url = `${closed.base}/x.png`;
    await closed.close();
    const { loader } = fresh({ retries: 1 });
    expect(await loader.load(url, "/")).toMatchObject({ ok: false, reason: expect.stringMatching(/^network error: .* \(2 attempts\)$/) });
  });

  it("rejects oversize bodies, declared or not, without retrying", async () => {
    const { loader } = fresh({ maxBytes: 1000 });
    expect(await loader.load(`${server.base}/big-declared.png`, "/")).toEqual({
      ok: false,
      reason: `image too large: ${big.length} bytes > 1000`,
    });
    expect(await loader.load(`${server.base}/big-chunked.png`, "/")).toEqual({ ok: false, reason: "image too large: over 1000 bytes" });
    expect(server.hits.get("/big-declared.png")).toBe(1);
    expect(server.hits.get("/big-chunked.png")).toBe(1);
  });

  it("caches fetched bytes: no request on a second load, nor from a new loader on the same cacheDir", async () => {
    const { cacheDir, loader } = fresh();
    const url = `${server.base}/again.png`;
    expect(await loader.load(url, "/")).toMatchObject({ ok: true, cached: false });
    expect(server.hits.get("/again.png")).toBe(1);
    expect(await loader.load(url, "/")).toMatchObject({ ok: true, cached: true, source: "http" });
    expect(server.hits.get("/again.png")).toBe(1);
    const other = createImageLoader({ cacheDir });
    expect(await other.load(url, "/")).toMatchObject({ ok: true, cached: true });
    expect(server.hits.get("/again.png")).toBe(1);
    expect(other.stats()).toMatchObject({ httpFetches: 0, httpCacheHits: 1, cacheHits: 1 });
    // No temp files left behind by the atomic writes.
    expect((await readdir(path.join(cacheDir, "http"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps the fetched original under originals/<key>, the sha256 of its bytes, for the API to serve", async () => {
    const { cacheDir, loader } = fresh();
    const r = await loader.load(`${server.base}/red.png`, "/");
    if (!r.ok) throw new Error(r.reason);
    expect(r.key).toBe(createHash("sha256").update(red).digest("hex"));
    expect(await readdir(path.join(cacheDir, "originals"))).toEqual([r.key]);
    expect(Buffer.from(await readFile(path.join(cacheDir, "originals", r.key)))).toEqual(red);
  });

  it("does not cache a body that is not an image (it is fetched again next time)", async () => {
    const { loader } = fresh();
    const url = `${server.base}/html.png`;
    expect(await loader.load(url, "/")).toMatchObject({ ok: false, reason: expect.stringMatching(/^corrupt image: /) });
    expect(await loader.load(url, "/")).toMatchObject({ ok: false });
    expect(server.hits.get("/html.png")).toBe(2);
  });

  it("loadMany keeps input order, never exceeds concurrency, and fetches a repeated URL once", async () => {
    const { loader } = fresh({ size: 8, grid: 2, concurrency: 3 });
    const srcs = colours.map((_, i) => `${server.base}/c${i}.png`);
    server.resetPeak();
    const results = await loader.loadMany([...srcs, srcs[0]!, srcs[0]!].map((src) => ({ src, baseDir: "/" })));
    expect(results).toHaveLength(14);
    results.slice(0, 12).forEach((result, i) => {
      expect(result.ok).toBe(true);
      if (result.ok) expect(pixel(result.thumb, 8, 4, 4)).toEqual([colours[i]!.r, colours[i]!.g, colours[i]!.b]);
    });
    expect(server.maxInFlight()).toBe(3);
    expect(server.hits.get("/c0.png")).toBe(1);
  });

  it("bounds concurrent fetches for direct load calls too", async () => {
    const { loader } = fresh({ size: 8, grid: 2, concurrency: 2 });
    server.resetPeak();
    const results = await Promise.all(colours.map((_, i) => loader.load(`${server.base}/c${i}.png`, "/")));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.maxInFlight()).toBe(2);
  });
});
