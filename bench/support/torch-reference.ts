// The PyTorch side of bench/train.ts: export real training batches of the cpu preset as raw files,
// find a python3 that has torch, and run bench/train-torch.py (the same model and objective) on them.
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildBatch, type ModelConfig, type PretrainConfig, type TrainingData } from "../../gpu-jobs/index.ts";
import type { Tokenizer } from "../../encoders/index.ts";

/** What train-torch.py prints. */
export interface TorchResult {
  torch: string;
  threads: number;
  parameters: number;
  /** BLAS libraries the process mapped (the reference BLAS makes PyTorch ~8× slower here). */
  blas: string[];
  steps: number;
  samplesPerSec: number;
  msPerStep: number;
  firstLoss: number;
  lastLoss: number;
}

/** Write `count` global batches (consecutive pairs from `first`) under dir for train-torch.py. */
export async function exportBatches(dir: string, data: TrainingData, tokenizer: Tokenizer, model: ModelConfig, cfg: PretrainConfig, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
  for (let i = 0; i < count; i++) {
    const idx = Int32Array.from({ length: cfg.batchSize }, (_, k) => (i * cfg.batchSize + k) % data.pairs.item.length);
    const h = buildBatch(data, tokenizer, model, idx, i, cfg.seed, cfg.maskRate);
    const arrays: Record<string, Int32Array | Float32Array> = {
      queryTokens: h.queryTokens,
      titleTokens: h.titleTokens,
      queryLabels: h.queryLabels,
      queryMask: h.queryMask,
      titleLabels: h.titleLabels,
      titleMask: h.titleMask,
      patches: h.patches,
      imageMask: h.imageMask,
      maskedPatches: h.maskedPatches,
      items: h.items,
      logQ: Float32Array.from(h.items, (r) => logQ[r]!),
    };
    for (const [name, a] of Object.entries(arrays)) await writeFile(join(dir, `${i}-${name}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  const train = { weights: cfg.weights, temperature: cfg.temperature, amSoftmax: cfg.amSoftmax, mbns: cfg.mbns, lr: cfg.lr, clipNorm: cfg.clipNorm };
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ model, train, batchSize: cfg.batchSize, count }));
}

/** A python3 that imports torch (the one on PATH, else Debian's), or null. */
export function findTorchPython(): string | null {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}

/** Run bench/train-torch.py on the exported batches with `threads` intra-op threads. */
export function runTorch(python: string, dir: string, steps: number, threads: number): TorchResult {
  const r = spawnSync(python, [join("bench", "train-torch.py"), "--batches", dir, "--steps", String(steps), "--threads", String(threads)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`train-torch.py failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as TorchResult;
}
