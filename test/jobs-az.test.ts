// Jobs on an az:// store (a loopback Azurite, test/support/loopback-azurite.ts), as jobs-s3.test.ts
// has them on S3: `vitrine serve` with jobs on (the one writer) runs a publish job triggered over
// REST (the job process finds the store from its job folder and reaches it with the inherited
// AZURE_STORAGE_* settings); the job finishes, its release is served by both servers, and a read
// replica (VITRINE_JOBS=off, another working folder: nothing shared on disk) lists the job, reads
// its record and log from the store, follows it over SSE from the moment it was queued, and
// refuses a trigger naming where it goes.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRecord } from "../core/jobs/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { getActiveRelease, publishRelease, readDataFile } from "../lancedb/index.ts";
import { importedShop } from "../lancedb/test-fixtures.ts";
import { REPLICA_KEYS, replicaEnv, retrieveOnce, startServe, type ServeProcess } from "./fixtures/serve-process.ts";
import { until } from "./fixtures/until.ts";
import { spawnLoopbackAzurite, type LoopbackAzure } from "./support/loopback-azurite.ts";
import { setEnv } from "./support/loopback-s3.ts";

let az: LoopbackAzure;
let dir: string;
let data: string;
let shop: Awaited<ReturnType<typeof importedShop>>;
let writer: ServeProcess;
let reader: ServeProcess;
let restoreEnv: (() => void) | undefined;
const read = { authorization: `Bearer ${REPLICA_KEYS.read}` };
const admin = { authorization: `Bearer ${REPLICA_KEYS.admin}`, "content-type": "application/json" };

beforeAll(async () => {
  az = await spawnLoopbackAzurite();
  dir = await mkdtemp(join(tmpdir(), "vitrine-jobs-az-"));
  restoreEnv = setEnv({ ...az.env, VITRINE_WORK_DIR: join(dir, "test-work") });
  data = `az://${az.bucket}/shops/jobs`;
  shop = await importedShop({ items: 300, queries: 40, out: data });
  await publishRelease({ dataDir: data, encoder: createHashEncoder() }); // r001
  [writer, reader] = await Promise.all([
    startServe(data, replicaEnv({ ...az.env, VITRINE_WORK_DIR: join(dir, "writer-work") })),
    startServe(data, replicaEnv({ ...az.env, VITRINE_WORK_DIR: join(dir, "reader-work"), VITRINE_JOBS: "off" })),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([writer?.stop(), reader?.stop()]);
  await shop?.cleanup();
  await az?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  restoreEnv?.();
});

async function json<T>(res: Response): Promise<T> {
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
}

/** The events of an SSE stream that ends when the job does: [event type, job state]. */
async function sseEvents(res: Response): Promise<[string, string][]> {
  expect(res.status).toBe(200);
  const out: [string, string][] = [];
  for (const block of (await res.text()).split("\n\n")) {
    const type = /^event: (\S+)$/m.exec(block)?.[1];
    const body = /^data: (.+)$/m.exec(block)?.[1];
    if (type && body) out.push([type, (JSON.parse(body) as { job: JobRecord }).job.state]);
  }
  return out;
}

describe("jobs on an az:// store", () => {
  it("a publish job triggered on the writer finishes and publishes; the read replica lists it, reads it from the store and watched it to the end", async () => {
    const job = await json<JobRecord>(await fetch(`${writer.url}/v1/jobs`, { method: "POST", headers: admin, body: JSON.stringify({ kind: "publish" }) }));
    // The record is in the store before the trigger answers: the replica follows it from here.
    const watched = fetch(`${reader.url}/v1/jobs/${job.id}/events`, { headers: read }).then(sseEvents);

    const done = await until(
      "the job to end",
      async () => {
        const j = await json<JobRecord>(await fetch(`${writer.url}/v1/jobs/${job.id}`, { headers: read }));
        return j.state === "queued" || j.state === "running" ? null : j;
      },
      120_000,
      200,
    );
    expect(done.state, done.error ?? "").toBe("succeeded");
    expect(done.release).toBe("r002");
    expect((await getActiveRelease(data))?.id).toBe("r002");
    for (const s of [writer, reader]) await until(`${s.url} on r002`, async () => ((await retrieveOnce(s.url, "floral dress")) as { release?: string }).release === "r002" || null, 30_000, 100);

    // The replica's view, from the store's objects: the same record, the list, the log.
    const events = await watched;
    expect(events[0]).toEqual(["snapshot", expect.stringMatching(/queued|running/)]);
    expect(events.at(-1)).toEqual(["state", "succeeded"]);
    const fromReader = await json<JobRecord>(await fetch(`${reader.url}/v1/jobs/${job.id}`, { headers: read }));
    expect(fromReader).toEqual(await json<JobRecord>(await fetch(`${writer.url}/v1/jobs/${job.id}`, { headers: read })));
    const listed = await json<{ jobs: JobRecord[] }>(await fetch(`${reader.url}/v1/jobs?state=succeeded`, { headers: read }));
    expect(listed.jobs.map((j) => [j.id, j.release])).toEqual([[job.id, "r002"]]);
    const logs = await json<{ lines: string[] }>(await fetch(`${reader.url}/v1/jobs/${job.id}/logs`, { headers: read }));
    expect(logs.lines.join("\n")).toContain("publishing with the lexical hash encoder");
    const stored = JSON.parse((await readDataFile(data, `jobs/${job.id}/job.json`))!) as JobRecord;
    expect(stored).toEqual(fromReader);
    // Nothing of the job is on the replica's disk: it read the store.
    expect(await readdir(join(dir, "reader-work")).catch(() => [])).not.toContain("jobs");

    // A change of jobs on the replica is refused, naming where it goes; an unknown id is a 404 there too.
    const refused = await fetch(`${reader.url}/v1/jobs`, { method: "POST", headers: admin, body: JSON.stringify({ kind: "publish" }) });
    const err = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect([refused.status, err.code]).toEqual([503, "UNAVAILABLE"]);
    expect(err.message).toContain("VITRINE_JOBS=off");
    expect((await fetch(`${reader.url}/v1/jobs/j20260101-000000-zzzz`, { headers: read })).status).toBe(404);
  }, 240_000);
});
