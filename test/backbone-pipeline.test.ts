import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRetrievalService } from "../api/service/index.ts";
import { EXIT_CODES, RetrieveRequestSchema } from "../core/index.ts";
import { writeTestBackbone } from "../gpu-jobs/backbone/test-backbone.ts";
import { makeTrainingCatalog } from "../gpu-jobs/train/test-catalog.ts";
import { openRelease } from "../lancedb/index.ts";

// A bring-your-own image backbone through the CLI verbs a shop runs: a tiny ONNX backbone made
// here (no download) → pretrain --image-encoder → export → embed (the model card's backbone, its
// cached features) → publish → retrieve; and the refusals of a different backbone.
let dir: string;
let dataDir: string;
let bb: string;
let other: string;
const vitrine = (...args: string[]) => spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 300_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-bb-pipeline-"));
  dataDir = await makeTrainingCatalog(dir, 48);
  bb = await writeTestBackbone(join(dir, "backbone"));
  other = await writeTestBackbone(join(dir, "other"), { seed: 4 });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("an ONNX image backbone end to end", () => {
  it("pretrains on its features, exports, embeds and publishes with it, serves; refuses another backbone", async () => {
    const pretrain = vitrine("pretrain", "--data", dataDir, "--preset", "tiny", "--steps", "120", "--batch-size", "32", "--backend", "wasm", "--quiet", "--image-encoder", bb);
    expect(pretrain.status, pretrain.stderr).toBe(0);
    expect(pretrain.stderr).toMatch(/image encoder .*backbone\.onnx: 16×6 features per image \(0 cached, 48 computed\)/);
    const exported = vitrine("export", "--data", dataDir, "--samples", "64");
    expect(exported.status, exported.stderr).toBe(0);
    const card = JSON.parse(await readFile(join(dataDir, "model", "model.json"), "utf8"));
    expect(card.backbone).toMatchObject({ file: bb, tokens: 16, featureDim: 6 });

    // Another backbone than the model's: refused before anything is written (exit 5, conflict).
    const wrong = vitrine("embed", "--data", dataDir, "--image-encoder", other);
    expect(wrong.status).toBe(EXIT_CODES.conflict);
    expect(wrong.stderr).toMatch(/vitrine embed: BACKBONE_MISMATCH: the model in .* was trained with image encoder .*backbone\.onnx .*other\.onnx is another model/);

    const embed = vitrine("embed", "--data", dataDir, "--batch-size", "16");
    expect(embed.status, embed.stderr).toBe(0);
    expect(embed.stdout).toMatch(/image encoder features: 48 image\(s\) from the cache, 0 computed/);
    const publish = vitrine("publish", "--data", dataDir, "--encoder", "onnx", "--top-k", "20");
    expect(publish.status, publish.stderr).toBe(0);
    const rel = await openRelease(dataDir);
    expect(String(rel.encoder.config.imageEncoder)).toContain(`features ${card.backbone.id}`);

    const service = await createRetrievalService({ dataDir, pollMs: 0 });
    try {
      const hit = await service.retrieve(RetrieveRequestSchema.parse({ query: "alpha echo", k: 5, understand: false }));
      expect(hit.path).toBe("qid");
      expect(hit.items[0]?.id).toBe("i0");
      const miss = await service.retrieve(RetrieveRequestSchema.parse({ query: "echo alpha thing", k: 5, understand: false }));
      expect(miss.path).toBe("ann");
      expect(miss.items.map((x) => x.id)).toContain("i0");
    } finally {
      await service.close();
    }

    // Resuming the run with another backbone, or fine-tuning it with one, is refused the same way.
    const resume = vitrine("pretrain", "--data", dataDir, "--preset", "tiny", "--backend", "wasm", "--quiet", "--resume", "--image-encoder", other);
    expect(resume.status).toBe(EXIT_CODES.conflict);
    expect(resume.stderr).toMatch(/BACKBONE_MISMATCH/);
    // A JSON mistake names the field and the fix (exit 3, input).
    await rm(join(dir, "other.json"));
    const noJson = vitrine("pretrain", "--data", dataDir, "--preset", "tiny", "--backend", "wasm", "--run-dir", join(dir, "r2"), "--image-encoder", other);
    expect(noJson.status).toBe(EXIT_CODES.missing);
    expect(noJson.stderr).toMatch(/other\.json is missing: write the backbone's input size/);
  }, 900_000);
});
