// Issue 13 F (API): no absolute server path in any response. A scripted session against a real
// served release (LanceDB, two releases) and a real job manager (scripted jobs whose logs and
// errors name files under the data directory), over HTTP with read and admin keys, errors and
// server-sent events included; every response body and header is grepped for the data directory,
// its real path, the temp and home directories and the app's folder.
import { realpathSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createHashEncoder } from "../core/index.ts";
import { createContainerRunner, createJobManager, type JobManager } from "../api/jobs/index.ts";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { publishRelease } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";

const SCRIPT = fileURLToPath(new URL("../api/jobs/test-support/scripted-job.mjs", import.meta.url));
const APP_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const ADMIN = "admin-key-paths-test-0123456789";
const READ = "read-key-paths-test-0123456789";

let shop: Awaited<ReturnType<typeof importedShop>>;
let service: RetrievalService;
let jobs: JobManager;
let server: NodeServer;

beforeAll(async () => {
  shop = await importedShop({ items: 120, queries: 12, seed: 13 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 0 }), topK: 20 });
  await publishRelease({ dataDir: shop.dataDir, encoder: createHashEncoder({ seed: 1 }), topK: 20 });
  service = await createRetrievalService({ dataDir: shop.dataDir, pollMs: 0 });
  // The stage is named after a file in the data dir: the failure line, and so the job's error, carry it.
  jobs = await createJobManager({
    dataDir: shop.dataDir,
    runner: createContainerRunner({ command: `${process.execPath} ${SCRIPT} {job} {data}/model 3 20 1` }),
    killGraceMs: 1_000,
    persistEveryMs: 0,
  });
  server = await serveNode({
    service,
    jobs,
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    config: {
      dataDir: shop.dataDir,
      keys: [
        { id: "ops", key: ADMIN, role: "admin" },
        { id: "app", key: READ, role: "read" },
      ],
      rateLimit: null,
      maxBodyBytes: 4_096,
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await jobs?.close();
  await service?.close();
  await shop?.cleanup();
});

describe("no absolute server paths in API responses", () => {
  it("a scripted session of reads, admin calls, jobs, SSE and errors never shows the data dir, temp, home or app paths", async () => {
    const seen: { what: string; status: number; text: string }[] = [];
    const call = async (what: string, path: string, init: { key?: string | null; body?: unknown; raw?: string; method?: string } = {}) => {
      const key = init.key === undefined ? READ : init.key;
      const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
      const body = init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined);
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(`${server.url}${path}`, { method: init.method ?? (body !== undefined ? "POST" : "GET"), headers, ...(body !== undefined ? { body } : {}) });
      const text = `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${await r.text()}`;
      seen.push({ what, status: r.status, text });
      return { status: r.status, text, json: () => JSON.parse(text.slice(text.indexOf("\n\n") + 2)) as Record<string, any> };
    };
    const input = (v: unknown) => `?input=${encodeURIComponent(JSON.stringify(v))}`;

    // Reads, hits and misses, filters, REST and tRPC.
    const releases = await call("releases", "/v1/releases");
    expect(releases.json().releases.map((r: { id: string }) => r.id)).toEqual(["r002", "r001"]);
    await call("trpc releases", `/trpc/releases.list`);
    await call("retrieve", "/v1/retrieve", { body: { query: "red dress", k: 5 } });
    await call("retrieve filtered", "/v1/retrieve", {
      body: {
        query: "boots",
        k: 5,
        filters: {
          op: "and",
          filters: [
            { op: "eq", field: "brand", value: "Acme" },
            { op: "range", field: "price", lt: 100 },
          ],
        },
      },
    });
    await call("trpc retrieve", `/trpc/retrieve${input({ query: "zzz unknown words", k: 3 })}`);
    await call("lookup", "/v1/lookup?query=red%20dress");
    await call("items", "/v1/items?ids=nope,also-nope");
    await call("healthz", "/healthz", { key: null });
    await call("metrics", "/metrics");
    await call("openapi", "/v1/openapi.json", { key: null });
    // Admin: switches.
    expect((await call("activate", "/v1/releases/r001/activate", { key: ADMIN, method: "POST" })).status).toBe(200);
    expect((await call("rollback", "/v1/releases/rollback", { key: ADMIN, method: "POST" })).status).toBe(200);
    // Errors of every kind.
    expect((await call("no such release", "/v1/releases/r999/activate", { key: ADMIN, method: "POST" })).status).toBe(404);
    expect((await call("pinned missing release", "/v1/retrieve", { body: { query: "red", release: "r042" } })).status).toBe(404);
    expect((await call("bad filter", "/v1/retrieve", { body: { query: "red", filters: { op: "eq", field: "colour", value: "x" } } })).status).toBe(400);
    expect((await call("bad json", "/trpc/retrieve", { raw: "{nope" })).status).toBe(400);
    expect((await call("too large", "/v1/retrieve", { body: { query: "x".repeat(5_000) } })).status).toBe(413);
    expect((await call("no key", "/v1/retrieve", { key: null, body: { query: "red" } })).status).toBe(401);
    expect((await call("read key on admin", "/trpc/jobs.trigger", { body: { kind: "retrain" } })).status).toBe(403);
    expect((await call("unknown route", "/v1/nothing-here")).status).toBe(404);
    expect((await call("no such job", `/trpc/jobs.get${input({ id: "j20260101-000000-zzzz" })}`)).status).toBe(404);

    // Jobs: a job that fails naming a file in the data dir; its record, list, logs and SSE events.
    const trigger = await call("trigger", "/trpc/jobs.trigger", { key: ADMIN, body: { kind: "pretrain", config: {} } });
    expect(trigger.status).toBe(200);
    const id = trigger.json().result.data.id as string;
    const sse = await call("watch (SSE)", `/trpc/jobs.watch${input({ id })}`);
    expect(sse.status).toBe(200);
    expect(sse.text).toContain("data:");
    await jobs.idle();
    const job = await call("job", `/trpc/jobs.get${input({ id })}`);
    expect(job.json().result.data.state).toBe("failed");
    expect(job.json().result.data.error).toContain("<data>/model failed");
    const logs = await call("logs", `/trpc/jobs.logs${input({ id })}`);
    expect(logs.json().result.data.lines[0]).toBe(`job dir <data>/jobs/${id}`);
    await call("list", `/trpc/jobs.list${input({})}`);
    await call("resume", "/trpc/jobs.resume", { key: ADMIN, body: { id } });
    await jobs.idle();
    expect((await call("cancel finished", "/trpc/jobs.cancel", { key: ADMIN, body: { id } })).status).toBe(409);

    const forbidden = [shop.dataDir, realpathSync(shop.dataDir), `${tmpdir()}/`, `${realpathSync(tmpdir())}/`, APP_ROOT, ...(homedir().length > 1 ? [`${homedir()}/`] : []), "/tmp/"];
    expect(seen.length).toBeGreaterThanOrEqual(28);
    for (const s of seen) for (const p of forbidden) expect(s.text.includes(p), `${s.what} (${s.status}) shows ${p}:\n${s.text.slice(0, 600)}`).toBe(false);
    // The rewritten paths still say where to look, relative to the data dir.
    expect(seen.some((s) => s.text.includes("<data>/jobs/"))).toBe(true);
  }, 60_000);
});
