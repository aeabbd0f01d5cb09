import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { channelMatMul, dense, embeddingLookup, multiHeadAttention } from "./fast-ops.ts";
import type { AttentionImpl, AttentionParams } from "./fast-ops.ts";

// Deterministic values independent of the backend's RNG.
function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    v[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

// Plain attention written the obvious way (autodiff everywhere): the gradient reference.
function referenceAttention(x: tf.Tensor3D, mask: tf.Tensor2D, p: AttentionParams, heads: number): tf.Tensor {
  const [b, l, h] = x.shape;
  const dh = h / heads;
  const qkv = tf.add(tf.matMul(tf.reshape(x, [b * l, h]), p.wqkv), p.bqkv);
  const split = tf.split(qkv, 3, 1).map((t) => tf.transpose(tf.reshape(t, [b, l, heads, dh]), [0, 2, 1, 3]));
  const scores = tf.div(tf.matMul(split[0]!, split[1]!, false, true), Math.sqrt(dh));
  const masked = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [b, 1, 1, l]));
  const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), split[2]!), [0, 2, 1, 3]), [b * l, h]);
  return tf.reshape(tf.add(tf.matMul(ctx, p.wo), p.bo), [b, l, h]);
}

function attentionInputs(b: number, l: number, h: number) {
  const x = seeded([b, l, h], 1) as tf.Tensor3D;
  const maskVals = new Float32Array(b * l).map((_, i) => (i % l < l - (i % 3) - (Math.floor(i / l) % 2) ? 1 : 0));
  const mask = tf.tensor2d(maskVals, [b, l]);
  const params: AttentionParams = {
    wqkv: seeded([h, 3 * h], 2, 0.3) as tf.Tensor2D,
    bqkv: seeded([3 * h], 3, 0.1) as tf.Tensor1D,
    wo: seeded([h, h], 4, 0.3) as tf.Tensor2D,
    bo: seeded([h], 5, 0.1) as tf.Tensor1D,
  };
  const r = seeded([b, l, h], 6);
  return { x, mask, params, r };
}

describe("fast ops on cpu (gradients vs plain autodiff)", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("dense matches matMul + bias in value and gradients, rank 2 and 3", async () => {
    for (const shape of [
      [5, 4],
      [2, 3, 4],
    ]) {
      const x = seeded(shape, 10);
      const w = seeded([4, 6], 11) as tf.Tensor2D;
      const b = seeded([6], 12) as tf.Tensor1D;
      const r = seeded([...shape.slice(0, -1), 6], 13);
      const fast = tf.grads((xx, ww, bb) => tf.sum(tf.mul(dense(xx, ww as tf.Tensor2D, bb as tf.Tensor1D), r)));
      const plain = tf.grads((xx, ww, bb) => tf.sum(tf.mul(tf.add(tf.reshape(tf.matMul(tf.reshape(xx, [-1, 4]), ww as tf.Tensor2D), [...shape.slice(0, -1), 6]), bb), r)));
      const g1 = fast([x, w, b]);
      const g2 = plain([x, w, b]);
      for (let i = 0; i < 3; i++) expect(await maxDiff(g1[i]!, g2[i]!)).toBeLessThan(1e-4);
      const noBias = tf.grads((xx, ww) => tf.sum(tf.mul(dense(xx, ww as tf.Tensor2D), r)))([x, w]);
      expect(noBias[1]!.shape).toEqual([4, 6]);
    }
  });

  it("channelMatMul equals a batched matMul, gradients included", async () => {
    const a = seeded([3, 4, 5], 20) as tf.Tensor3D; // [M,K,n]
    const b = seeded([4, 5, 2], 21) as tf.Tensor3D; // [K,n,N]
    const r = seeded([3, 5, 2], 22);
    const ref = (aa: tf.Tensor, bb: tf.Tensor) => tf.transpose(tf.matMul(tf.transpose(aa, [2, 0, 1]) as tf.Tensor3D, tf.transpose(bb, [1, 0, 2]) as tf.Tensor3D), [1, 0, 2]);
    expect(await maxDiff(channelMatMul(a, b), ref(a, b))).toBeLessThan(1e-5);
    const g1 = tf.grads((aa, bb) => tf.sum(tf.mul(channelMatMul(aa as tf.Tensor3D, bb as tf.Tensor3D), r)))([a, b]);
    const g2 = tf.grads((aa, bb) => tf.sum(tf.mul(ref(aa, bb), r)))([a, b]);
    expect(await maxDiff(g1[0]!, g2[0]!)).toBeLessThan(1e-4);
    expect(await maxDiff(g1[1]!, g2[1]!)).toBeLessThan(1e-4);
  });

  for (const impl of ["depthwise", "batched"] as AttentionImpl[]) {
    it(`multiHeadAttention (${impl}) matches the reference in value and every gradient`, async () => {
      const { x, mask, params, r } = attentionInputs(3, 7, 8);
      const inputs = [x, params.wqkv, params.bqkv, params.wo, params.bo];
      const asParams = (t: tf.Tensor[]): AttentionParams => ({
        wqkv: t[1] as tf.Tensor2D,
        bqkv: t[2] as tf.Tensor1D,
        wo: t[3] as tf.Tensor2D,
        bo: t[4] as tf.Tensor1D,
      });
      const fast = tf.grads((...t) => tf.sum(tf.mul(multiHeadAttention(t[0] as tf.Tensor3D, mask, asParams(t), 2, impl), r)));
      const plain = tf.grads((...t) => tf.sum(tf.mul(referenceAttention(t[0] as tf.Tensor3D, mask, asParams(t), 2), r)));
      expect(await maxDiff(multiHeadAttention(x, mask, params, 2, impl), referenceAttention(x, mask, params, 2))).toBeLessThan(1e-5);
      const g1 = fast(inputs);
      const g2 = plain(inputs);
      for (let i = 0; i < inputs.length; i++) expect(await maxDiff(g1[i]!, g2[i]!)).toBeLessThan(1e-4);
    });
  }
});

describe("fast ops on wasm", () => {
  let before = "cpu";
  beforeAll(async () => {
    before = tf.getBackend() ?? "cpu";
    await tf.setBackend("wasm");
  });
  afterAll(async () => {
    await tf.setBackend(before);
  });

  it("embeddingLookup trains: one SGD step changes exactly the looked-up rows, duplicates accumulate", async () => {
    expect(tf.getBackend()).toBe("wasm");
    const table = tf.variable(seeded([6, 3], 30) as tf.Tensor2D);
    const start = (await table.array()) as number[][];
    const ids = tf.tensor2d(
      [
        [1, 4],
        [1, 1],
      ],
      [2, 2],
      "int32",
    );
    const opt = tf.train.sgd(0.5);
    // loss = sum of looked-up values → each lookup contributes a gradient of 1 per element.
    opt.minimize(() => tf.sum(embeddingLookup(table, ids)) as tf.Scalar, false, [table]);
    const after = (await table.array()) as number[][];
    const expectedCount = [0, 3, 0, 0, 1, 0];
    for (let row = 0; row < 6; row++) {
      for (let c = 0; c < 3; c++) {
        expect(after[row]![c]!).toBeCloseTo(start[row]![c]! - 0.5 * expectedCount[row]!, 5);
      }
    }
    expect(embeddingLookup(table, ids).shape).toEqual([2, 2, 3]);
    table.dispose();
    opt.dispose();
  });

  it("depthwise attention gives the same values and gradients on wasm as the cpu reference", async () => {
    const { x, mask, params, r } = attentionInputs(2, 5, 8);
    const inputs = [x, params.wqkv, params.bqkv, params.wo, params.bo];
    const g = tf.grads((...t) =>
      tf.sum(tf.mul(multiHeadAttention(t[0] as tf.Tensor3D, mask, { wqkv: t[1] as tf.Tensor2D, bqkv: t[2] as tf.Tensor1D, wo: t[3] as tf.Tensor2D, bo: t[4] as tf.Tensor1D }, 2), r)),
    )(inputs);
    const wasmVals = await Promise.all(g.map((t) => t.data()));
    await tf.setBackend("cpu");
    const c = attentionInputs(2, 5, 8);
    const gRef = tf.grads((...t) =>
      tf.sum(tf.mul(referenceAttention(t[0] as tf.Tensor3D, c.mask, { wqkv: t[1] as tf.Tensor2D, bqkv: t[2] as tf.Tensor1D, wo: t[3] as tf.Tensor2D, bo: t[4] as tf.Tensor1D }, 2), c.r)),
    )([c.x, c.params.wqkv, c.params.bqkv, c.params.wo, c.params.bo]);
    const refVals = await Promise.all(gRef.map((t) => t.data()));
    await tf.setBackend("wasm");
    for (let i = 0; i < refVals.length; i++) {
      const a = wasmVals[i]!;
      const b = refVals[i]!;
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
