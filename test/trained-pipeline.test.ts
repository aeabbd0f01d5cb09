import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRetrievalService } from "../api/service/index.ts";
import { RetrieveRequestSchema } from "../core/index.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";

// import → pretrain → export → embed → publish --encoder onnx → serve, through the CLI verbs a
// user runs, then retrieval with the trained towers (ONNX query encoder at request time).
let dir: string;
let dataDir: string;
const vitrine = (...args: string[]) => spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 300_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-trained-"));
  dataDir = await makeTrainingCatalog(dir, 48);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("trained towers end to end", () => {
  it("pretrains, exports with parity, embeds, publishes and serves with the ONNX query encoder", async () => {
    for (const args of [
      ["pretrain", "--data", dataDir, "--preset", "tiny", "--steps", "150", "--batch-size", "32", "--backend", "wasm", "--quiet"],
      ["export", "--data", dataDir, "--samples", "64"],
      ["embed", "--data", dataDir, "--batch-size", "16"],
      ["publish", "--data", dataDir, "--encoder", "onnx", "--top-k", "20"],
    ]) {
      const r = vitrine(...args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const service = await createRetrievalService({ dataDir, pollMs: 0 });
    try {
      const [rel] = await service.listReleases();
      expect(rel?.model).toBe("vitrine-onnx-v1");
      // Logged query: precomputed list; the clicked item first after training.
      const hit = await service.retrieve(RetrieveRequestSchema.parse({ query: "alpha echo", k: 5, understand: false }));
      expect(hit.path).toBe("qid");
      expect(hit.items[0]?.id).toBe("i0");
      // Unlogged wording (extra word): encoded at request time by query.onnx.
      const miss = await service.retrieve(RetrieveRequestSchema.parse({ query: "echo alpha thing", k: 5, understand: false }));
      expect(miss.path).toBe("ann");
      expect(miss.timings.encode).toBeGreaterThan(0);
      expect(miss.items.map((x) => x.id)).toContain("i0");
    } finally {
      await service.close();
    }
  }, 600_000);
});
