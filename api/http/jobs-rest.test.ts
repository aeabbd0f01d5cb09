// Jobs over REST with a real job manager (a scripted job process speaking the line protocol):
// trigger, list, get, logs, cancel, resume, and events as server-sent events — the same
// JobsService the tRPC jobs router calls, with the same keys, errors and redaction.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContainerRunner, createJobManager, type JobManager } from "../jobs/index.ts";
import { ADMIN_KEY, READ_KEY, testApp, trpcQuery, withKey } from "./test-support/fixtures.ts";

type Json = Record<string, any>;
const json = async (r: Response) => (await r.json()) as Json;
const SCRIPT = fileURLToPath(new URL("../jobs/test-support/scripted-job.mjs", import.meta.url));

let dataDir: string;
let manager: JobManager;
const open = async (steps: number, ms: number) => {
  manager = await createJobManager({ dataDir, runner: createContainerRunner({ command: `${process.execPath} ${SCRIPT} {job} pretrain ${steps} ${ms} 0` }), killGraceMs: 2_000, persistEveryMs: 0 });
  return testApp({ jobs: manager, redactPaths: [{ path: dataDir, as: "<data>" }] }).app;
};

/** Read a server-sent event stream to its end: [{ event, data }]. */
async function readEvents(res: Response): Promise<{ event: string; data: Json; id: string }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2) ?? "";
      return { event: field("event"), id: field("id"), data: JSON.parse(field("data")) as Json };
    });
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "vitrine-jobs-rest-"));
});
afterEach(async () => {
  await manager?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("jobs over REST", () => {
  it("trigger (admin, 202), events over SSE until the job ends, then get, list and logs (read) — the records tRPC serves", async () => {
    const app = await open(4, 30);
    const read = await app.request("/v1/jobs", withKey(READ_KEY, { body: { kind: "pretrain" } }));
    expect(read.status).toBe(403);
    const t = await app.request("/v1/jobs", withKey(ADMIN_KEY, { body: { kind: "pretrain", config: { preset: "tiny" } } }));
    expect(t.status).toBe(202);
    const job = await json(t);
    expect(job).toMatchObject({ kind: "pretrain", triggeredBy: "admin", config: { preset: "tiny" } });

    const stream = await app.request(`/v1/jobs/${job.id}/events`, withKey(READ_KEY));
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readEvents(stream);
    expect(events[0]!.event).toBe("snapshot");
    expect(events.map((e) => e.event)).toContain("progress");
    expect(events.at(-1)!.data.job.state).toBe("succeeded");
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i));
    const progress = events.filter((e) => e.event === "progress").map((e) => e.data.job.progress.done);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // Log lines name the data directory as <data>, never the server's path.
    expect(JSON.stringify(events)).not.toContain(dataDir);

    const got = await json(await app.request(`/v1/jobs/${job.id}`, withKey(READ_KEY)));
    expect(got.state).toBe("succeeded");
    const viaTrpc = (await json(await app.request(trpcQuery("jobs.get", { id: job.id }), withKey(READ_KEY)))).result.data;
    expect(got).toEqual(viaTrpc);
    const list = await json(await app.request("/v1/jobs?limit=1&state=succeeded", withKey(READ_KEY)));
    expect(list.jobs.map((j: Json) => j.id)).toEqual([job.id]);
    const logs = await json(await app.request(`/v1/jobs/${job.id}/logs?tail=2`, withKey(READ_KEY)));
    expect(logs.lines).toEqual(["step 3", "step 4"]);
  });

  it("cancel and resume (admin); 409 on a finished job; 404 for an unknown id (also before any stream); 400 for a bad id or kind", async () => {
    const app = await open(200, 50);
    const job = await json(await app.request("/v1/jobs", withKey(ADMIN_KEY, { body: { kind: "pretrain" } })));
    const cancelled = await app.request(`/v1/jobs/${job.id}/cancel`, withKey(ADMIN_KEY, { method: "POST" }));
    expect(cancelled.status).toBe(200);
    await manager.idle();
    expect((await json(await app.request(`/v1/jobs/${job.id}`, withKey(READ_KEY)))).state).toBe("cancelled");
    const again = await app.request(`/v1/jobs/${job.id}/cancel`, withKey(ADMIN_KEY, { method: "POST" }));
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe("CONFLICT");
    expect((await app.request(`/v1/jobs/${job.id}/resume`, withKey(READ_KEY, { method: "POST" }))).status).toBe(403);
    const resumed = await json(await app.request(`/v1/jobs/${job.id}/resume`, withKey(ADMIN_KEY, { method: "POST" })));
    expect(["queued", "running"]).toContain(resumed.state);
    await app.request(`/v1/jobs/${job.id}/cancel`, withKey(ADMIN_KEY, { method: "POST" }));
    await manager.idle();

    const unknown = "j20990101-000000-zzzz";
    for (const path of [`/v1/jobs/${unknown}`, `/v1/jobs/${unknown}/events`]) {
      const r = await app.request(path, withKey(READ_KEY));
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/json/);
      expect((await json(r)).error.code).toBe("JOB_NOT_FOUND");
    }
    const badId = await app.request("/v1/jobs/not-an-id", withKey(READ_KEY));
    expect((await json(badId)).error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "id" }] });
    const badKind = await app.request("/v1/jobs", withKey(ADMIN_KEY, { body: { kind: "train" } }));
    expect((await json(badKind)).error).toMatchObject({ code: "INVALID_INPUT", issues: [{ field: "kind" }] });
    const badLimit = await app.request("/v1/jobs?limit=0", withKey(READ_KEY));
    expect((await json(badLimit)).error.issues[0].field).toBe("limit");
    expect((await app.request("/v1/jobs")).status).toBe(401);
  }, 30_000);

  it("a server without jobs answers 503 UNAVAILABLE; the routes are in the OpenAPI document with servers, license and examples", async () => {
    const { app } = testApp();
    const r = await app.request("/v1/jobs", withKey(READ_KEY));
    expect(r.status).toBe(503);
    expect((await json(r)).error.code).toBe("UNAVAILABLE");
    const doc = await json(await app.request("/v1/openapi.json"));
    expect(doc.info.license).toEqual({ name: "Apache-2.0", identifier: "Apache-2.0" });
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    for (const [p, m] of [
      ["/v1/jobs", "get"],
      ["/v1/jobs", "post"],
      ["/v1/jobs/{id}", "get"],
      ["/v1/jobs/{id}/logs", "get"],
      ["/v1/jobs/{id}/cancel", "post"],
      ["/v1/jobs/{id}/resume", "post"],
      ["/v1/jobs/{id}/events", "get"],
      ["/v1/similar", "post"],
    ] as const) {
      expect(doc.paths[p]?.[m], `${m} ${p}`).toBeDefined();
    }
    expect(doc.paths["/v1/jobs"].post.responses).toHaveProperty("202");
    expect(doc.paths["/v1/jobs"].post.responses).toHaveProperty("403");
    expect(doc.paths["/v1/jobs/{id}/events"].get.responses["200"].content).toHaveProperty("text/event-stream");
    expect(doc.paths["/v1/jobs"].post.requestBody.content["application/json"].example).toMatchObject({ kind: "retrain" });
    expect(doc.paths["/v1/retrieve"].post.requestBody.content["application/json"].example).toMatchObject({ query: expect.any(String), facets: ["brand", "category", "price"] });
    expect(doc.paths["/v1/jobs/{id}"].get.parameters[0]).toMatchObject({ name: "id", example: expect.stringMatching(/^j\d{8}-/) });
    expect(doc.components.schemas.JobsGetResponse ?? doc.components.schemas.JobsTriggerResponse).toBeDefined();
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas).toHaveProperty(ref[1]!);
  });
});
