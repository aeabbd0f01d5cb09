// The writer's working state on an s3:// store: import, pretrain, export, embed and publish
// --encoder onnx with --data s3://bucket/prefix (runs and the exported model in one local working
// folder, the import, embeddings, releases and the model snapshot in the store), then a server
// with another, empty working folder serves the trained release: it copies the model from the
// store and encodes unlogged queries with its query tower.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRetrievalService } from "../api/service/index.ts";
import { RetrieveRequestSchema } from "../core/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";
import { spawnLoopbackS3, type LoopbackS3 } from "./support/loopback-s3.ts";
import { storeFixture, type StoreFixture } from "./support/loopback-store.ts";

let dir: string;
let s3: LoopbackS3;
let fixture: StoreFixture<LoopbackS3> | undefined;

beforeAll(async () => {
  fixture = await storeFixture(spawnLoopbackS3, "trained-s3", "server-work");
  ({ server: s3, dir } = fixture);
  await makeTrainingCatalog(dir, 32);
}, 120_000);
afterAll(() => fixture?.close());

async function filesUnder(d: string): Promise<string[]> {
  if (!existsSync(d)) return [];
  return (await readdir(d, { recursive: true })).map(String);
}

describe("trained towers on an s3:// store", () => {
  it("import → pretrain → export → embed → publish on s3://, served by a process with an empty working folder", async () => {
    const data = `s3://${s3.bucket}/shops/trained`;
    const writerWork = join(dir, "writer-work");
    const env = { ...process.env, ...s3.env, VITRINE_WORK_DIR: writerWork };
    for (const args of [
      ["import", "--catalog", join(dir, "catalog.jsonl"), "--clicks", join(dir, "clicks.jsonl"), "--out", data, "--eval-fraction", "0"],
      ["pretrain", "--data", data, "--preset", "tiny", "--steps", "20", "--batch-size", "32", "--backend", "wasm", "--quiet"],
      ["export", "--data", data, "--samples", "16"],
      ["embed", "--data", data, "--batch-size", "16"],
      ["publish", "--data", data, "--encoder", "onnx", "--top-k", "20"],
    ]) {
      const r = spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 300_000, env });
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    // Runs and the exported model stayed in the writer's working folder; nothing local was made under a folder named "s3:".
    expect(existsSync(join(writerWork, "runs", "pretrain"))).toBe(true);
    expect(existsSync(join(writerWork, "model", "query.onnx"))).toBe(true);
    expect(existsSync("s3:")).toBe(false);

    const serverWork = process.env.VITRINE_WORK_DIR!;
    expect(await filesUnder(serverWork)).toEqual([]);
    const service = await createRetrievalService({ dataDir: data, pollMs: 0 });
    try {
      const [rel] = await service.listReleases();
      expect(rel?.model).toBe("vitrine-onnx-v1");
      const miss = await service.retrieve(RetrieveRequestSchema.parse({ query: "echo alpha thing", k: 5, understand: false }));
      expect(miss.path).toBe("ann");
      expect(miss.timings.encode).toBeGreaterThan(0);
      expect(miss.items).toHaveLength(5);
      // The query tower came from the store into this process's own working folder.
      expect((await filesUnder(serverWork)).some((f) => f.endsWith("query.onnx"))).toBe(true);
    } finally {
      await service.close();
    }
  }, 600_000);
});
