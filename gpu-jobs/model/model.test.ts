import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { resolveConfig } from "./config.ts";
import type { ModelConfig } from "./config.ts";
import { conv3x3 } from "../tf/conv-ops.ts";
import { batchTensors, syntheticBatch } from "./test-batch.ts";
import { createModel } from "./towers.ts";
import type { ItemOutput } from "./towers.ts";

async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.max(tf.abs(t));
  const v = (await m.data())[0]!;
  m.dispose();
  return v;
}

function disposeOut(o: ItemOutput): void {
  for (const t of Object.values(o)) (t as tf.Tensor | null)?.dispose();
}

describe("model config", () => {
  it("resolves presets and names the bad field", () => {
    expect(resolveConfig("cpu").hidden).toBe(128);
    expect(resolveConfig("base").layers).toBe(12);
    expect(resolveConfig("tiny", { dim: 8 }).dim).toBe(8);
    expect(() => resolveConfig("tiny", { heads: 3 })).toThrow(/heads/);
    expect(() => resolveConfig("tiny", { dropout: 1.5 })).toThrow(/dropout/);
    expect(() => resolveConfig("tiny", { patchSize: 10 })).toThrow(/patchSize/);
    expect(() => resolveConfig("tiny", { fusion: "late" as never })).toThrow(/fusion/);
    expect(() => resolveConfig("tiny", { hiden: 3 } as never)).toThrow(/hiden/);
  });
});

describe("model on cpu", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("conv3x3's forward-conv gradients equal tf.conv2d's", async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2) as tf.Tensor4D;
    const r = tf.randomNormal([2, 6, 6, 4], 0, 1, "float32", 3);
    const g1 = tf.grads((a, b) => tf.sum(tf.mul(conv3x3(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
    const g2 = tf.grads((a, b) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), r)))([x, w]);
    expect(await maxAbs(tf.sub(g1[0]!, g2[0]!))).toBeLessThan(1e-4);
    expect(await maxAbs(tf.sub(g1[1]!, g2[1]!))).toBeLessThan(1e-4);
  });

  for (const fusion of ["fusion", "concat", "text"] as const) {
    it(`${fusion}: shapes, unit vectors, text-only items ignore their patches`, async () => {
      const cfg = resolveConfig("tiny", { fusion });
      const model = createModel(cfg);
      const B = 4;
      const P = 16;
      const a = batchTensors(cfg, syntheticBatch(cfg, { batch: B, seed: 5, patchValue: 0.1 }));
      const b = batchTensors(cfg, syntheticBatch(cfg, { batch: B, seed: 5, patchValue: 0.9 }));
      const oa = model.encodeItem(a);
      const ob = model.encodeItem(b);
      expect(oa.vector.shape).toEqual([B, cfg.dim]);
      expect(oa.tokenStates.shape).toEqual([B, cfg.maxTitleLen + 1, cfg.hidden]);
      const norms = await tf.norm(oa.vector, 2, 1).data();
      for (const n of norms) expect(n).toBeCloseTo(1, 5);
      const q = model.encodeQuery(a.queryTokens);
      expect(q.shape).toEqual([B, cfg.dim]);
      const va = (await oa.vector.array()) as number[][];
      const vb = (await ob.vector.array()) as number[][];
      const diff = (i: number) => Math.max(...va[i]!.map((x, j) => Math.abs(x - vb[i]![j]!)));
      // Items 1 and 3 are text-only (imageMask 0): identical whatever the patches hold.
      expect(diff(1)).toBeLessThan(1e-6);
      expect(diff(3)).toBeLessThan(1e-6);
      if (fusion === "text") {
        expect(diff(0)).toBeLessThan(1e-6);
        expect(oa.patchFeatures).toBeNull();
        expect(oa.imageVector).toBeNull();
      } else {
        expect(diff(0)).toBeGreaterThan(1e-4);
        expect(oa.patchFeatures!.shape).toEqual([B, P, cfg.hidden]);
        expect(oa.imageVector!.shape).toEqual([B, cfg.dim]);
      }
      if (fusion === "fusion") {
        expect(oa.patchStates!.shape).toEqual([B, P, cfg.hidden]);
        const g = await oa.gate!.data();
        expect(g[1]).toBe(1);
        expect(g[0]).toBeGreaterThan(0);
        expect(g[0]).toBeLessThan(1);
        expect(model.mpmPredict(oa.patchStates!).shape).toEqual([B, P, cfg.hidden]);
        const masked = model.encodeItem({ ...a, maskedPatches: tf.ones([B, P]) as tf.Tensor2D });
        expect(await maxAbs(tf.sub(masked.patchFeatures!, oa.patchFeatures!))).toBe(0);
        expect(await maxAbs(tf.sub(masked.vector, oa.vector))).toBeGreaterThan(1e-5);
      } else {
        expect(oa.patchStates).toBeNull();
        expect(oa.gate).toBeNull();
        expect(() => model.mpmPredict(oa.tokenStates)).toThrow(/fusion/);
      }
      expect(model.mlmLogits(oa.tokenStates).shape).toEqual([B, cfg.maxTitleLen + 1, cfg.vocabSize]);
      model.dispose();
    });
  }

  it("a shared query tower maps a query equal to a text-only item's title to that item's vector", async () => {
    const cfg = resolveConfig("tiny", { maxQueryLen: 16 });
    const model = createModel(cfg);
    const t = batchTensors(cfg, syntheticBatch(cfg, { batch: 2, seed: 9, imageMask: [0, 0] }));
    const item = model.encodeItem(t);
    const q = model.encodeQuery(t.titleTokens);
    expect(await maxAbs(tf.sub(item.vector, q))).toBeLessThan(1e-5);
    const sep = createModel({ ...cfg, queryTower: "separate" });
    expect([...sep.variables.keys()].some((k) => k.startsWith("query.layer0."))).toBe(true);
    expect(await maxAbs(tf.sub(sep.encodeQuery(t.titleTokens), q))).toBeGreaterThan(1e-4);
    model.dispose();
    sep.dispose();
  });
});

describe("model on wasm", () => {
  let before = "cpu";
  beforeAll(async () => {
    before = tf.getBackend() ?? "cpu";
    await tf.setBackend("wasm");
  });
  afterAll(async () => {
    await tf.setBackend(before);
  });

  for (const queryTower of ["shared", "separate"] as const) {
    it(`gradients of an item+query loss reach every tower variable, none NaN (${queryTower})`, async () => {
      expect(tf.getBackend()).toBe("wasm");
      const cfg = resolveConfig("tiny", { queryTower, dropout: 0.1 });
      const model = createModel(cfg);
      const t = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 3 }));
      const { grads, value } = tf.variableGrads(() => {
        const o = model.encodeItem({ ...t, training: true });
        const q = model.encodeQuery(t.queryTokens, { training: true });
        // In-batch softmax on query·item, the shape of the matching losses.
        const logits = tf.mul(tf.matMul(q, o.vector, false, true), 10);
        return tf.losses.softmaxCrossEntropy(tf.eye(4), logits) as tf.Scalar;
      }, [...model.variables.values()]);
      expect(Number.isFinite((await value.data())[0])).toBe(true);
      // Not reached by this loss: the pre-training heads, the [MASK] patch and the image-only projection.
      const idle = (name: string) => name.startsWith("mlm.") || name.startsWith("mpm.") || name === "emb.mask_patch" || name.startsWith("image.proj");
      const byId = new Map([...model.variables].map(([name, v]) => [v.name, name]));
      const reached = new Set(Object.keys(grads).map((id) => byId.get(id)));
      for (const [name] of model.variables) {
        if (idle(name)) continue;
        expect(reached.has(name), `gradient for ${name}`).toBe(true);
      }
      for (const [id, g] of Object.entries(grads)) {
        const vals = await g.data();
        expect(
          vals.every((x) => Number.isFinite(x)),
          `finite ${byId.get(id)}`,
        ).toBe(true);
        if (!idle(byId.get(id)!)) expect(await maxAbs(g), `nonzero ${byId.get(id)}`).toBeGreaterThan(0);
      }
      tf.dispose(grads);
      value.dispose();
      model.dispose();
    });
  }

  it("same seed → identical weights, and outputs within 1e-5, on cpu and wasm", async () => {
    const cfg = resolveConfig("tiny");
    const raw = syntheticBatch(cfg, { batch: 3, seed: 11 });
    const run = async () => {
      const model = createModel(cfg);
      const t = batchTensors(cfg, raw);
      const o = model.encodeItem(t);
      const q = model.encodeQuery(t.queryTokens);
      const weights = await Promise.all([...model.variables.values()].map((v) => v.data()));
      const out = { item: await o.vector.data(), query: await q.data(), states: await o.tokenStates.data(), weights };
      disposeOut(o);
      q.dispose();
      tf.dispose(Object.values(t));
      model.dispose();
      return out;
    };
    const w = await run();
    await tf.setBackend("cpu");
    const c = await run();
    await tf.setBackend("wasm");
    for (let i = 0; i < w.weights.length; i++) expect(w.weights[i]).toEqual(c.weights[i]);
    for (const key of ["item", "query", "states"] as const) {
      let worst = 0;
      w[key].forEach((x, j) => (worst = Math.max(worst, Math.abs(x - c[key][j]!))));
      expect(worst, key).toBeLessThan(1e-5);
    }
  });

  it("no tensor leaks over 20 forward+backward+update steps", async () => {
    const cfg: ModelConfig = resolveConfig("tiny", { dropout: 0.1 });
    const model = createModel(cfg);
    const t = batchTensors(cfg, syntheticBatch(cfg, { batch: 4, seed: 2 }));
    const opt = tf.train.adam(1e-3);
    const vars = [...model.variables.values()];
    const step = () => {
      const loss = opt.minimize(
        () => {
          const o = model.encodeItem({ ...t, maskedPatches: tf.zeros([4, 16]) as tf.Tensor2D, training: true });
          const q = model.encodeQuery(t.queryTokens, { training: true });
          const mlm = tf.mean(model.mlmLogits(o.tokenStates));
          const mpm = tf.mean(tf.square(tf.sub(model.mpmPredict(o.patchStates!), o.patchFeatures!)));
          const match = tf.losses.softmaxCrossEntropy(tf.eye(4), tf.mul(tf.matMul(q, o.vector, false, true), 10));
          return tf.addN([mlm, mpm, match, tf.mean(o.imageVector!), tf.mean(o.gate!)]) as tf.Scalar;
        },
        true,
        vars,
      );
      loss?.dispose();
    };
    step();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(start);
    opt.dispose();
    model.dispose();
  });
});
