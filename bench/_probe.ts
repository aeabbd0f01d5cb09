import { pino, destination } from "pino";
import { createHashEncoder } from "../core/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop, makeShop } from "../lancedb/test-fixtures.ts";
import { createApp } from "../api/http/index.ts";
import { createRetrievalService } from "../api/service/index.ts";
const shop = await importedShop({ items: 2000, queries: 300 });
await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder() });
const bodies = [...new Set(makeShop({ items: 2000, queries: 300 }).clicks.map((c) => c.query))].map((query) => JSON.stringify({ query, k: 50, understand: false, relax: true }));
const service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 0 });
const KEY = "read-key-0123456789abcdef";
const logger = pino({ level: "info" }, destination({ dest: "/dev/null", sync: false }));
for (const bytes of [64 << 20]) {
  const app = createApp({ service, keys: [{ id: "r", key: KEY, role: "read" }], logger, responseCacheBytes: bytes });
  const run = async (n: number, health: boolean) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const res = health
        ? await app.request("http://127.0.0.1/healthz")
        : await app.request("http://127.0.0.1/v1/retrieve", { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: bodies[i % bodies.length] });
      await res.arrayBuffer();
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  await run(3000, false);
  await run(2000, true);
  console.log(`cache ${bytes ? "on" : "off"}: retrieve ${(await run(10000, false)).toFixed(1)} µs CPU/req, healthz ${(await run(10000, true)).toFixed(1)} µs CPU/req`);
}
await service.close();
await shop.cleanup();
