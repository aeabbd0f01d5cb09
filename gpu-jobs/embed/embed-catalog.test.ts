import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportModel } from "../onnx/index.ts";
import { encodeItemVectors } from "../train/encode-all.ts";
import { resolvePretrainConfig } from "../train/pretrain-config.ts";
import { runPretrain } from "../train/pretrain.ts";
import { makeTrainingCatalog } from "../train/test-catalog.ts";
import { allTableNames, mergeEmbedShards, openStore, readEmbeddings, readEmbedState } from "../../lancedb/index.ts";
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

  it("sharded: shards embedded by parallel `vitrine embed --shard i/N` processes merge to the single-process vectors, bit for bit", async () => {
    await embedCatalog({ dataDir, batchSize: 8, resume: false });
    const single = [];
    for await (const e of readEmbeddings(dataDir)) single.push(e);

    const vitrine = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const c = spawn(process.execPath, ["bin/vitrine.js", "embed", "--data", dataDir, "--batch-size", "8", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        c.stdout.on("data", (b: Buffer) => (out += b));
        c.stderr.on("data", (b: Buffer) => (out += b));
        c.on("close", (code) => done({ code, out }));
      });
    // Shards 0/3 and 1/3 run together; merging before 2/3 exists names it and changes nothing.
    const first = await Promise.all([vitrine(["--shard", "0/3"]), vitrine(["--shard", "1/3"])]);
    for (const r of first) expect(r.code, r.out).toBe(0);
    expect(first[1]!.out).toContain("shard 1/3: items 8..23 of 40 items"); // 5 batches of 8: 1, 2, 2
    await expect(mergeEmbedShards(dataDir, 3)).rejects.toMatchObject({ code: "EMBED_SHARDS_INCOMPLETE", message: expect.stringContaining("shard 2/3 has no output") });
    const missing = await vitrine(["--merge-shards", "3"]);
    expect(missing.code).toBe(4);
    expect(missing.out).toMatch(/EMBED_SHARDS_INCOMPLETE: .*shard 2\/3 has no output.*--shard 2\/3/);
    expect((await readEmbedState(dataDir))?.state).toBe("complete"); // the single run's table still stands

    expect((await vitrine(["--shard", "2/3"])).code).toBe(0);
    const merged = await vitrine(["--merge-shards", "3"]);
    expect(merged.code, merged.out).toBe(0);
    const sharded = [];
    for await (const e of readEmbeddings(dataDir)) sharded.push(e);
    expect(sharded.map((e) => e.id)).toEqual(single.map((e) => e.id));
    for (let i = 0; i < single.length; i++) expect(Buffer.from(sharded[i]!.vector.buffer).equals(Buffer.from(single[i]!.vector.buffer))).toBe(true);
    // The shard outputs are gone once merged.
    expect((await allTableNames(await openStore(dataDir))).filter((t) => t.startsWith("embeddings_shard_"))).toEqual([]);
  }, 300_000);
});
