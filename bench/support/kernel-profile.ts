// Per-kernel times of one pre-training step (forward + backward of the full stage-2 objective) on
// the active TF.js backend, from tf.profile: summed per kernel name over `steps` steps after a
// warm-up. Custom-gradient ops (dense, conv3x3, attention's channel matMul) appear as the kernels
// they run; their wrapper entries ("unnamed scope") are left out so no time is counted twice.
import * as tf from "@tensorflow/tfjs";
import { buildBatch, createModel, pretrainLoss, toTensors, type ModelConfig, type PretrainConfig, type TrainingData } from "../../gpu-jobs/index.ts";
import type { Tokenizer } from "../../encoders/index.ts";

/** One kernel's share of a step. */
export interface KernelTime {
  /** Kernel name (BatchMatMul, Conv2D, ...). */
  kernel: string;
  /** Calls per step. */
  calls: number;
  /** Milliseconds per step. */
  ms: number;
}

/** Profile `steps` steps of `batch` pairs; kernels sorted by time, plus the step's wall time. */
export async function profileKernels(data: TrainingData, tokenizer: Tokenizer, mc: ModelConfig, cfg: PretrainConfig, batch: number, steps: number): Promise<{ kernels: KernelTime[]; wallMs: number }> {
  const model = createModel(mc);
  const temp = tf.variable(tf.scalar(0.1));
  const vars = [...model.variables.values(), temp];
  const logQ = Float32Array.from(data.itemFrequency, (f) => Math.log(f));
  const sum = new Map<string, { ms: number; calls: number }>();
  let wall = 0;
  for (let s = 0; s <= steps; s++) {
    const idx = Int32Array.from({ length: batch }, (_, i) => (s * batch + i) % data.pairs.item.length);
    const h = buildBatch(data, tokenizer, mc, idx, s, cfg.seed, cfg.maskRate);
    const t = toTensors(h, mc);
    const t0 = performance.now();
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = pretrainLoss({ model, cfg, mpmTemperature: temp, logQ, bank: null, crossDevice: null, stage: 2 }, t, h);
        tf.dispose([...Object.values(r.parts), r.itemVectors]);
        return r.total;
      }, vars);
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    });
    const ms = performance.now() - t0;
    tf.dispose(Object.values(t));
    if (s === 0) continue; // warm-up
    wall += ms;
    for (const k of info.kernels) {
      if (k.name === "unnamed scope") continue;
      const e = sum.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += (await k.kernelTimeMs) as number;
      e.calls += 1;
      sum.set(k.name, e);
    }
  }
  model.dispose();
  temp.dispose();
  const kernels = [...sum.entries()].map(([kernel, e]) => ({ kernel, calls: e.calls / steps, ms: e.ms / steps })).sort((a, b) => b.ms - a.ms);
  return { kernels, wallMs: wall / steps };
}
