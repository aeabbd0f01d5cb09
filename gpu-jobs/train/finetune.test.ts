import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const base = { steps: 60, batchSize: 32, negatives: 64, checkpointEvery: 30, backend: "wasm" as const };

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
  }, 180_000);
});
