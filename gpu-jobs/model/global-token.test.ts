// The whole-image token (globalToken): its shapes, that it sees every patch but never a masked one,
// that models without it draw the weights they always drew, and that it trains without leaking tensors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { numImageTokens, resolveConfig, validateConfig } from "./config.ts";
import type { ModelConfig } from "./config.ts";
import { batchTensors, syntheticBatch } from "./test-batch.ts";
import { createModel } from "./towers.ts";

async function maxAbs(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

describe("whole-image token", () => {
  let before = "cpu";
  beforeAll(async () => {
    before = tf.getBackend() ?? "cpu";
    await tf.setBackend("cpu");
  });
  afterAll(async () => {
    await tf.setBackend(before);
  });

  it("config: off by default, absent in old checkpoints reads as off, refused with a backbone", () => {
    const cfg = resolveConfig("tiny");
    expect(cfg.globalToken).toBe(false);
    expect(numImageTokens(cfg)).toBe(16);
    expect(numImageTokens(resolveConfig("tiny", { globalToken: true }))).toBe(17);
    const old = { ...cfg } as Partial<ModelConfig>;
    delete old.globalToken;
    expect(() => validateConfig(old as ModelConfig)).not.toThrow();
    expect(() => resolveConfig("tiny", { globalToken: "yes" as never })).toThrow(/globalToken must be a boolean/);
    const backbone = { id: "bb", file: "bb.onnx", tokens: 4, featureDim: 8 } as unknown as ModelConfig["backbone"];
    expect(() => resolveConfig("tiny", { backbone, globalToken: true })).toThrow(/globalToken needs the patch CNN/);
  });

  it("a model without it draws the weights it always drew; with it, two more variables (fusion) of the shapes the grid fixes", async () => {
    const plain = createModel(resolveConfig("tiny"));
    const withToken = createModel(resolveConfig("tiny", { globalToken: true }));
    const extra = [...withToken.variables.keys()].filter((k) => !plain.variables.has(k));
    expect(extra.sort()).toEqual(["emb.global_pos", "patch.global.b", "patch.global.w"]);
    // tiny: 16 patches of 16 px, CNN 4,8 → 4×4×8 = 128 values per patch.
    expect(withToken.variables.get("patch.global.w")!.shape).toEqual([16 * 128, 32]);
    // Variables drawn before the token's keep their values.
    for (const name of ["emb.token", "patch.conv1.w", "patch.proj.w", "emb.patch_pos"]) {
      expect(await maxAbs(plain.variables.get(name)!, withToken.variables.get(name)!), name).toBe(0);
    }
    plain.dispose();
    withToken.dispose();
  });

  for (const fusion of ["fusion", "concat"] as const) {
    it(`${fusion}: the item vector depends on the image through the token; text-only items still ignore their patches`, async () => {
      const cfg = resolveConfig("tiny", { fusion, globalToken: true });
      const model = createModel(cfg);
      const a = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 5, patchValue: 0.1 }));
      const b = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 5, patchValue: 0.9 }));
      const oa = model.encodeItem(a);
      const ob = model.encodeItem(b);
      expect(oa.vector.shape).toEqual([4, cfg.dim]);
      expect(oa.patchFeatures!.shape).toEqual([4, 16, cfg.hidden]);
      if (fusion === "fusion") expect(oa.patchStates!.shape).toEqual([4, 16, cfg.hidden]);
      const va = (await oa.vector.array()) as number[][];
      const vb = (await ob.vector.array()) as number[][];
      const diff = (i: number) => Math.max(...va[i]!.map((x, j) => Math.abs(x - vb[i]![j]!)));
      expect(diff(0)).toBeGreaterThan(1e-4);
      expect(diff(1)).toBeLessThan(1e-6); // imageMask 0
      // Zeroing the token's projection changes the vector: the token is in the item's sum.
      const w = model.variables.get("patch.global.w")!;
      const saved = w.clone();
      w.assign(tf.zerosLike(w));
      const zeroed = model.encodeItem(a);
      expect(await maxAbs(zeroed.vector, oa.vector)).toBeGreaterThan(1e-5);
      w.assign(saved);
      saved.dispose();
      model.dispose();
    });
  }

  it("globalWeight: refused without the token or outside (0, 1); absent reads as the plain mean", () => {
    expect(resolveConfig("tiny").globalWeight).toBeNull();
    const old = { ...resolveConfig("tiny", { globalToken: true }) } as Partial<ModelConfig>;
    delete old.globalWeight;
    expect(() => validateConfig(old as ModelConfig)).not.toThrow();
    expect(() => resolveConfig("tiny", { globalWeight: 0.5 })).toThrow(/globalWeight weights the whole-image token: set globalToken too/);
    expect(() => resolveConfig("tiny", { globalToken: true, globalWeight: 1 })).toThrow(/globalWeight must be a number in \(0, 1\)/);
    expect(() => resolveConfig("tiny", { fusion: "concat", globalToken: true, globalWeight: 0.5 })).toThrow(/globalWeight weights the fused image summary/);
  });

  it("globalWeight 1/17 is the plain mean of 17 tokens; 0.5 moves the item vector, not the pooled CNN image vector; no new weights", async () => {
    const base = { globalToken: true } as const;
    const plain = createModel(resolveConfig("tiny", base));
    const same = createModel(resolveConfig("tiny", { ...base, globalWeight: 1 / 17 }));
    const half = createModel(resolveConfig("tiny", { ...base, globalWeight: 0.5 }));
    expect([...half.variables.keys()].sort()).toEqual([...plain.variables.keys()].sort());
    const cfg = plain.config;
    const t = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 7, patchValue: 0.4 }));
    const vPlain = plain.encodeItem(t).vector;
    expect(await maxAbs(same.encodeItem(t).vector, vPlain)).toBeLessThan(1e-5);
    const vHalf = half.encodeItem(t).vector;
    const perItem = (await tf.max(tf.abs(tf.sub(vHalf, vPlain)), 1).array()) as number[];
    expect(perItem[0]).toBeGreaterThan(1e-4);
    expect(perItem[1]).toBeLessThan(1e-6); // imageMask 0: the image summary does not enter
    expect(await maxAbs(half.encodeItem(t).imageVector!, plain.encodeItem(t).imageVector!)).toBe(0);
    for (const m of [plain, same, half]) m.dispose();
  });

  it("MPM: a masked patch's pixels reach neither its token nor the whole-image token", async () => {
    const cfg = resolveConfig("tiny", { globalToken: true });
    const model = createModel(cfg);
    const s = syntheticBatch(cfg, { batch: 2, seed: 3, imageMask: [1, 1] });
    const t = s.patches.length / 2 / 16; // values per patch
    const other = { ...s, patches: Float32Array.from(s.patches) };
    for (let i = 0; i < t; i++) other.patches[i] = 1 - other.patches[i]!; // patch 0 of item 0 changed
    const a = batchTensors(cfg, s);
    const b = batchTensors(cfg, other);
    const mask = tf.tensor2d([[1, ...new Array(15).fill(0)], new Array(16).fill(0)]) as tf.Tensor2D;
    const ma = model.encodeItem({ ...a, maskedPatches: mask });
    const mb = model.encodeItem({ ...b, maskedPatches: mask });
    expect(await maxAbs(ma.vector, mb.vector)).toBeLessThan(1e-6);
    // Unmasked, the change shows.
    expect(await maxAbs(model.encodeItem(a).vector, model.encodeItem(b).vector)).toBeGreaterThan(1e-5);
    model.dispose();
  });

  it("gradients reach the token's projection; no tensor leaks over 10 training steps", async () => {
    const cfg = resolveConfig("tiny", { globalToken: true, dropout: 0.1 });
    const model = createModel(cfg);
    const t = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 2, imageMask: [1, 1, 1, 0] }));
    const loss = () => {
      const o = model.encodeItem({ ...t, maskedPatches: tf.zeros([4, 16]) as tf.Tensor2D, training: true });
      const q = model.encodeQuery(t.queryTokens, { training: true });
      const mpm = tf.mean(tf.square(tf.sub(model.mpmPredict(o.patchStates!), o.patchFeatures!)));
      return tf.add(mpm, tf.losses.softmaxCrossEntropy(tf.eye(4), tf.mul(tf.matMul(q, o.vector, false, true), 10))) as tf.Scalar;
    };
    const vars = [...model.variables.values()];
    const g = tf.variableGrads(loss, vars);
    // variableGrads keys by TF.js's process-global variable names.
    for (const name of ["patch.global.w", "patch.global.b", "emb.global_pos"]) {
      const grad = g.grads[model.variables.get(name)!.name];
      expect(grad, name).toBeDefined();
      expect(await maxAbs(grad!, tf.zeros([1])), name).toBeGreaterThan(0);
    }
    tf.dispose([g.value, ...Object.values(g.grads)]);
    const opt = tf.train.adam(1e-3);
    const step = () => opt.minimize(loss, true, vars)?.dispose();
    step();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(start);
    opt.dispose();
    model.dispose();
  });
});
