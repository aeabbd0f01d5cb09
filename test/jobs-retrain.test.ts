// Retrain through the SDK over real HTTP: jobs.trigger → jobs.watch (SSE) sees every stage → a new
// release is active and retrieve answers from it; then the gate declines to decide on too few
// unseen held-out pairs and the old release stays active.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobManager, type JobManager } from "../api/jobs/index.ts";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";
import { createClient, VitrineError, type JobEvent, type VitrineClient } from "../sdk/index.ts";
import { until } from "./fixtures/until.ts";

const ADMIN = "admin-key-for-jobs-test-0123456789";
const READ = "read-key-for-jobs-test-0123456789";
const STAGES = ["pretrain", "finetune", "export", "embed", "eval", "publish"];

let dir: string;
let dataDir: string;
let service: RetrievalService;
let jobs: JobManager;
let server: NodeServer;
let admin: VitrineClient;
let reader: VitrineClient;

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-jobs-"));
  dataDir = await makeTrainingCatalog(dir, 48, 0, 0.34);
  service = await createRetrievalService({ dataDir, pollMs: 100 });
  jobs = await createJobManager({ dataDir });
  server = await serveNode({
    service,
    jobs,
    port: 0,
    logger: pino({ level: "silent" }),
    config: {
      keys: [
        { id: "ops", key: ADMIN, role: "admin" },
        { id: "app", key: READ, role: "read" },
      ],
      rateLimit: null,
    },
  });
  admin = createClient({ url: server.url, apiKey: ADMIN });
  reader = createClient({ url: server.url, apiKey: READ });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await jobs?.close();
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("jobs over the SDK", () => {
  it("refuses triggers from read keys and bad configs with the field named", async () => {
    const denied = await reader.jobs.trigger({ kind: "retrain" }).catch((e: unknown) => e as VitrineError);
    expect(denied).toBeInstanceOf(VitrineError);
    expect((denied as VitrineError).status).toBe(403);
    const bad = await admin.jobs.trigger({ kind: "retrain", config: { pretrain: { stepz: 3 } } as never }).catch((e: unknown) => e as VitrineError);
    expect((bad as VitrineError).code).toBe("INVALID_INPUT");
    expect((bad as VitrineError).message).toMatch(/stepz/);
    const missing = await reader.jobs.get("j20260101-000000-zzzz").catch((e: unknown) => e as VitrineError);
    expect((missing as VitrineError).code).toBe("JOB_NOT_FOUND");
    expect(await reader.jobs.list()).toEqual([]);
  });

  it("retrains, watches every stage over SSE, publishes, and serves the new release", async () => {
    const job = await admin.jobs.trigger({
      kind: "retrain",
      config: {
        preset: "tiny",
        backend: "wasm",
        pretrain: { steps: 150, batchSize: 32 },
        finetune: { steps: 20 },
        export: { samples: 32 },
        gate: { metrics: ["recall@10"], tolerance: 0 },
      },
    });
    expect(["queued", "running"]).toContain(job.state);
    const events = await collect(reader.jobs.watch(job.id));
    expect(events[0]!.type).toBe("snapshot");
    const final = events.at(-1)!.job;
    expect(final.state, final.error ?? "").toBe("succeeded");
    // Every stage was seen running and then succeeded, in order.
    const seen = (state: string) => STAGES.filter((name) => events.some((e) => e.job.stages.find((s) => s.name === name)?.state === state));
    expect(seen("running")).toEqual(STAGES);
    expect(seen("succeeded")).toEqual(STAGES);
    expect(events.some((e) => e.type === "progress" && e.job.progress?.stage === "pretrain" && e.job.progress.unit === "steps")).toBe(true);
    expect(events.some((e) => e.type === "log")).toBe(true);
    expect(final.gate).toMatchObject({ passed: true, activeRelease: null, candidateRelease: "r001", slice: "unseen pairs" });
    expect(final.gate!.checks.map((c) => [c.metric, c.active])).toEqual([["recall@10", null]]);
    expect(final.release).toBe("r001");
    // The exported model carries the fine-tuned head and the eval numbers.
    const card = JSON.parse(await readFile(join(dataDir, "jobs", job.id, "model", "model.json"), "utf8")) as { finetune?: { step: number }; metrics?: { gate: { passed: boolean }; probe: unknown } };
    expect(card.finetune?.step).toBe(20);
    expect(card.metrics?.gate.passed).toBe(true);
    // The probe ran (this catalog has no categories: nothing to tell apart, recorded as such).
    expect(card.metrics?.probe).toEqual({ published: null, titleMasked: null });

    // The service picks the release up (hot reload) and answers from it through the SDK.
    await until("release r001 served", async () => ((await reader.health()).release === "r001" ? true : null), 20_000);
    const r = await reader.retrieve("alpha echo", { k: 5 });
    expect(r.release).toBe("r001");
    expect(r.items.map((x) => x.id)).toContain("i0");
    expect((await admin.jobs.get(job.id)).state).toBe("succeeded");
    expect((await reader.jobs.list()).map((j) => j.id)).toEqual([job.id]);
    expect((await reader.jobs.logs(job.id)).join("\n")).toMatch(/eval gate: no active release .* unseen held-out pairs: recall@10 \d+\.\d/);
  }, 300_000);

  it("does not decide on too few unseen held-out pairs: the candidate stays inactive, the old release active", async () => {
    // This tiny shop holds out a handful of pairs: fewer than the gate's minimum (30).
    const job = await admin.jobs.trigger({
      kind: "retrain",
      config: { preset: "tiny", backend: "wasm", pretrain: { steps: 1, lr: 1e-9, seed: 5 }, finetune: { steps: 0 }, export: { samples: 16 } },
    });
    const events = await collect(admin.jobs.watch(job.id));
    const final = events.at(-1)!.job;
    expect(final.state, final.error ?? "").toBe("succeeded");
    expect(final.gate).toMatchObject({ passed: false, forced: false, activeRelease: "r001", candidateRelease: "r002" });
    expect(final.gate!.pairs).toBeLessThan(30);
    expect(final.gate?.message).toMatch(/too few to tell the models apart/);
    expect(final.gate!.checks.map((c) => c.metric)).toEqual(["ndcg@10", "recall@100"]);
    expect(final.stages.find((s) => s.name === "finetune")?.state).toBe("skipped");
    expect(final.stages.find((s) => s.name === "publish")?.state).toBe("skipped");
    expect(final.release).toBeNull();
    const releases = await reader.releases.list();
    expect(releases.map((x) => [x.id, x.active])).toEqual([
      ["r002", false],
      ["r001", true],
    ]);
    expect((await reader.retrieve("alpha echo", { k: 5 })).release).toBe("r001");
  }, 300_000);
});
