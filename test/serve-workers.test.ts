// `vitrine serve --workers 2`: two processes on one port (node:cluster), each holding the release
// and following the active pointer: a publish switches every answer, with no failed read; jobs
// (one manager per process) are refused with the fix.
import { spawn } from "node:child_process";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, startServe, type ServeProcess } from "./fixtures/serve-process.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
let server: ServeProcess;
beforeAll(async () => {
  shop = await importedShop({ items: 300, queries: 40 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() }); // r001
  server = await startServe(shop.dataDir, replicaEnv({ VITRINE_JOBS: "off" }), ["--workers", "2"]);
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await shop?.cleanup();
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ["bin/vitrine.js", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (b: Buffer) => (out += b));
    c.stderr.on("data", (b: Buffer) => (out += b));
    c.on("close", (code) => done({ code, out }));
  });
}

// One retrieve on a connection of its own (no keep-alive: the primary hands each new connection to
// the next worker): the status and the body.
function callOnce(url: string, query: string): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ query, k: 5 });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/retrieve`,
      { method: "POST", agent: false, headers: { authorization: `Bearer ${REPLICA_KEYS.read}`, "content-type": "application/json", connection: "close" } },
      (res) => {
        let text = "";
        res.on("data", (b: Buffer) => (text += b));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

// One retrieve on a connection of its own: the release that answered.
function readOnce(query: string): Promise<string> {
  const body = JSON.stringify({ query, k: 5 });
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/v1/retrieve`,
      { method: "POST", agent: false, headers: { authorization: `Bearer ${REPLICA_KEYS.read}`, "content-type": "application/json", connection: "close" } },
      (res) => {
        let text = "";
        res.on("data", (b: Buffer) => (text += b));
        res.on("end", () => {
          const j = JSON.parse(text) as { release?: string };
          if (res.statusCode !== 200 || !j.release) reject(new Error(`${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(j.release);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

// `n` reads in a row, each on a new connection: the releases that answered.
async function reads(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await readOnce(["floral dress", "classic lamp", "slim shirt"][i % 3]!));
  return out;
}

describe("vitrine serve --workers", () => {
  it("listens once per worker on one port, and every worker follows a publish with no failed read", async () => {
    await expect.poll(() => [...server.log().matchAll(/listening on (http:\/\/\S+)/g)].map((m) => m[1]), { timeout: 60_000 }).toEqual([server.url, server.url]);
    expect(new Set(await reads(20))).toEqual(new Set(["r001"]));
    const published = await run(["publish", "--data", shop.dataDir], replicaEnv());
    expect(published.code, published.out).toBe(0);
    // Every worker polls the pointer each second: within 10 s, twenty reads in a row all come from r002.
    await expect.poll(async () => new Set(await reads(20)), { timeout: 10_000, interval: 200 }).toEqual(new Set(["r002"]));
  });

  it("splits the rate limit between the workers: together they allow the configured burst, not N times it", async () => {
    // Burst 10 and a rate too slow to refill during the test: each of the 2 workers holds 5 tokens.
    const limited = await startServe(shop.dataDir, replicaEnv({ VITRINE_JOBS: "off", VITRINE_RATE_LIMIT: "0.001:10" }), ["--workers", "2"]);
    try {
      await expect.poll(() => [...limited.log().matchAll(/listening on (http:\/\/\S+)/g)].length, { timeout: 60_000 }).toBe(2);
      // New connections alternate between the workers, so 40 calls empty both buckets.
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await callOnce(limited.url, "floral dress");
        if (r.status === 429) expect(JSON.parse(r.text)).toMatchObject({ error: { code: "RATE_LIMITED" } });
        statuses.push(r.status);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    } finally {
      await limited.stop();
    }
  }, 120_000);

  it("refuses more than one worker while jobs are on, naming the fix", async () => {
    const r = await run(["serve", "--data", shop.dataDir, "--port", "0", "--workers", "2"], replicaEnv());
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--workers 2 .*VITRINE_JOBS=off/);
  });
});
