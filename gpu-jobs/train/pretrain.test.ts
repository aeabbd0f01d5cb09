import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel } from "../model/towers.ts";
import { encodeItemVectors, encodeQueryVectors, hitRateAtK, queryTargets } from "./encode-all.ts";
import { resolvePretrainConfig } from "./pretrain-config.ts";
import { runPretrain, type StepMetrics } from "./pretrain.ts";
import { qimEvalLoss } from "./qim-eval.ts";
import { makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let dataDir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-pretrain-"));
  dataDir = await makeTrainingCatalog(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The tiny preset with every task, stage 1 and MBNS on must overfit 64 items. One worker, so no
// CDNS (it needs another worker: data-parallel.test.ts and test/train-resume.test.ts train on 2).
describe("tiny preset overfits 64 items on wasm", () => {
  it("QIM loss falls ≥ 90%, recall@1 ≥ 0.9, tensor count flat", async () => {
    const config = resolvePretrainConfig("tiny", { steps: 400, batchSize: 32, lr: 5e-3, stage1Fraction: 0.1, checkpointEvery: 1_000, workers: 1, mbns: { enabled: true } });
    const metrics: StepMetrics[] = [];
    const r = await runPretrain({ dataDir, runDir: join(dir, "run-wasm"), config, backend: "wasm", onStep: (m) => metrics.push(m) });
    const initial = createModel(r.modelConfig); // same seed → the weights training started from
    const before = qimEvalLoss(initial, r.tokenizer, r.data, config.temperature);
    const after = qimEvalLoss(r.model, r.tokenizer, r.data, config.temperature);
    initial.dispose();
    const { queries, targets } = queryTargets(r.data.pairs);
    const recall1 = hitRateAtK(encodeItemVectors(r.model, r.tokenizer, r.data.items), encodeQueryVectors(r.model, r.tokenizer, queries), r.modelConfig.dim, targets, 1);
    console.info(
      `wasm: QIM ${before.toFixed(3)} → ${after.toFixed(3)} (${(100 * (1 - after / before)).toFixed(1)}% lower), recall@1 ${recall1.toFixed(3)}, ${metrics.at(-1)!.samplesPerSec.toFixed(0)} samples/s`,
    );
    expect(after).toBeLessThanOrEqual(0.1 * before);
    expect(recall1).toBeGreaterThanOrEqual(0.9);
    expect(metrics.some((m) => m.mbns) && metrics.some((m) => m.stage === 1)).toBe(true);
    expect(metrics.some((m) => m.cdns)).toBe(false);
    // Once the memory bank is full, nothing may accumulate.
    const late = metrics.slice(Math.floor(metrics.length * 0.75)).map((m) => m.tensors);
    expect(Math.max(...late)).toBe(Math.min(...late));
    r.model.dispose();
  }, 300_000);
});

// The pure-JS cpu backend runs ~20× slower than wasm here (14 samples/s), too slow for 400 steps
// in the suite; instead it must follow the same trajectory as wasm step by step, so the wasm
// overfit above carries over. The gradients agree to ~1e-6 (model tests).
describe("cpu backend trains like wasm", () => {
  it("gives the same per-step losses for 12 steps of the full objective", async () => {
    const config = resolvePretrainConfig("tiny", {
      steps: 12,
      batchSize: 16,
      lr: 5e-3,
      stage1Fraction: 0.25,
      checkpointEvery: 1_000,
      mbns: { enabled: true, startFraction: 0.5 },
      cdns: { enabled: true, startFraction: 0.5 },
      workers: 1,
    });
    const losses: Record<string, number[]> = { wasm: [], cpu: [] };
    for (const backend of ["wasm", "cpu"] as const) {
      const r = await runPretrain({ dataDir, runDir: join(dir, `eq-${backend}`), config, backend, onStep: (m) => losses[backend]!.push(m.loss) });
      r.model.dispose();
    }
    expect(losses.cpu).toHaveLength(12);
    for (let i = 0; i < 12; i++) expect(Math.abs(losses.cpu![i]! - losses.wasm![i]!), `step ${i + 1}`).toBeLessThanOrEqual(1e-3 * Math.max(1, losses.wasm![i]!));
  }, 300_000);
});
