import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLatestCheckpoint } from "./checkpoint.ts";
import { runFinetune } from "./finetune.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";
import { runPretrain } from "./pretrain.ts";
import { makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let dataDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-finetune-"));
  dataDir = await makeTrainingCatalog(dir, 48);
  const r = await runPretrain({ dataDir, config: resolvePretrainConfig("tiny", { steps: 40, batchSize: 16 }), backend: "wasm" });
  r.model.dispose();
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { steps: 60, batchSize: 32, negatives: 64, checkpointEvery: 30, backend: "wasm" as const, workers: 1 };

describe("fine-tuning (FC projection + item-ID embeddings, sampled softmax with logQ)", () => {
  it("lowers the sampled-softmax loss and resumes exactly after a crash", async () => {
    const losses: number[] = [];
    const a = await runFinetune({ dataDir, runDir: join(dir, "ft-a"), ...base, onStep: (m) => losses.push(m.loss) });
    const head = losses.slice(0, 5).reduce((x, y) => x + y) / 5;
    const tail = losses.slice(-5).reduce((x, y) => x + y) / 5;
    expect(tail).toBeLessThan(0.7 * head);

    await expect(
      runFinetune({
        dataDir,
        runDir: join(dir, "ft-b"),
        ...base,
        onStep: (m) => {
          if (m.step === 45) throw new Error("crash");
        },
      }),
    ).rejects.toThrow("crash");
    expect((await readFile(join(dir, "ft-b", "latest"), "utf8")).trim()).toBe("ckpt-00000030");
    const b = await runFinetune({ dataDir, runDir: join(dir, "ft-b"), ...base, resume: true });
    expect(b.lastLoss).toBe(a.lastLoss);

    // Two workers train the same objective: each pair's loss depends only on its query, its item
    // and the shared negatives, so only the order of float sums differs from one worker.
    const two = await runFinetune({ dataDir, runDir: join(dir, "ft-2"), ...base, workers: 2 });
    const w1 = (await loadLatestCheckpoint(join(dir, "ft-a")))!;
    const w2 = (await loadLatestCheckpoint(join(dir, "ft-2")))!;
    expect(w2.step).toBe(60);
    let maxDiff = 0;
    for (const [name, t] of w1.tensors) t.values.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - w2.tensors.get(name)!.values[i]!))));
    console.info(`fine-tuning on 2 workers vs 1: max |Δweight| ${maxDiff.toExponential(2)}, last loss ${two.lastLoss} vs ${a.lastLoss}`);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(Math.abs(two.lastLoss! - a.lastLoss!)).toBeLessThan(1e-4);
  }, 240_000);
});
