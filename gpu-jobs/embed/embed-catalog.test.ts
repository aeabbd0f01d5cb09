import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel } from "../onnx/index.ts";
import { encodeItemVectors } from "../train/encode-all.ts";
import { resolvePretrainConfig } from "../train/pretrain-config.ts";
import { runPretrain } from "../train/pretrain.ts";
import { makeTrainingCatalog } from "../train/test-catalog.ts";
import { readEmbeddings } from "../../lancedb/index.ts";
import { embedCatalog } from "./embed-catalog.ts";

let dir: string;
let dataDir: string;
let tfVectors: Float32Array;
let dim: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-embed-"));
  dataDir = await makeTrainingCatalog(dir, 40, 3); // 3 corrupt images: those items embed text-only
  const r = await runPretrain({ dataDir, config: resolvePretrainConfig("tiny", { steps: 10, batchSize: 16 }), backend: "wasm" });
  tfVectors = encodeItemVectors(r.model, r.tokenizer, r.data.items);
  dim = r.modelConfig.dim;
  r.model.dispose();
  await exportModel({ runDir: join(dataDir, "runs", "pretrain"), outDir: join(dataDir, "model"), backend: "wasm" });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function vectors(): Promise<Map<string, Float32Array>> {
  const m = new Map<string, Float32Array>();
  for await (const e of readEmbeddings(dataDir)) m.set(e.id, e.vector);
  return m;
}

describe("vitrine embed", () => {
  it("embeds every item through ONNX Runtime like TF.js, and resumes an interrupted run to the same vectors", async () => {
    const full = await embedCatalog({ dataDir, batchSize: 16, resume: false });
    expect(full.items).toBe(40);
    expect(full.textOnly).toBe(3);
    const a = await vectors();
    let maxDiff = 0;
    for (let r = 0; r < 40; r++) {
      const v = a.get(`i${r}`)!;
      for (let d = 0; d < dim; d++) maxDiff = Math.max(maxDiff, Math.abs(v[d]! - tfVectors[r * dim + d]!));
    }
    expect(maxDiff).toBeLessThan(1e-4);

    await expect(
      embedCatalog({
        dataDir,
        batchSize: 16,
        resume: false,
        afterBatch: (done) => {
          if (done === 32) throw new Error("killed");
        },
      }),
    ).rejects.toThrow("killed");
    await expect(readEmbeddings(dataDir).next()).rejects.toThrow(/incomplete/);
    const resumed = await embedCatalog({ dataDir, batchSize: 16 });
    expect(resumed.resumedFrom).toBe(32);
    const b = await vectors();
    expect(b.size).toBe(40);
    for (const [id, v] of a) expect(Array.from(b.get(id)!)).toEqual(Array.from(v));
  }, 120_000);
});
