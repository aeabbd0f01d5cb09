import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelConfig } from "../model/config.ts";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import type { Model } from "../model/towers.ts";
import { syntheticBatch } from "../model/test-batch.ts";
import { ExportError } from "./errors.ts";
import { buildItemGraph } from "./export-item.ts";
import { buildQueryGraph } from "./export-query.ts";
import { decodeModel, encodeModel } from "./graph-builder.ts";
import { checkParity } from "./parity.ts";
import { maxAbsDiff, perturbedTinyModel, runItem } from "./test-support.ts";
import { modelWeights } from "./weights.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("fusion + shared query tower (tiny, perturbed weights)", () => {
  let model: Model;
  let query: Uint8Array;
  let item: Uint8Array;
  beforeAll(() => {
    model = perturbedTinyModel();
    const w = modelWeights(model);
    query = buildQueryGraph(model.config, w);
    item = buildItemGraph(model.config, w);
  });
  afterAll(() => model.dispose());

  it("matches TF.js within 1e-4 on 256 samples (query and item)", async () => {
    const r = await checkParity(model, { query, item });
    expect(r.samples).toBe(256);
    expect(r.textOnlyItems).toBeGreaterThan(0);
    expect(r.query.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(r.item.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(r.itemTextOnly.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it("accepts int64 token inputs too", async () => {
    const w = modelWeights(model);
    const graphs = { query: buildQueryGraph(model.config, w, { tokenType: "int64" }), item: buildItemGraph(model.config, w, { tokenType: "int64" }) };
    const r = await checkParity(model, graphs, { samples: 32, tokenType: "int64" });
    expect(Math.max(r.query.maxAbsDiff, r.item.maxAbsDiff)).toBeLessThanOrEqual(1e-4);
  });

  it("has a dynamic batch axis: batch 1 and batch 7 through one session", async () => {
    const cfg = model.config;
    const qs = await ort.InferenceSession.create(query);
    const is = await ort.InferenceSession.create(item);
    for (const b of [1, 7]) {
      const s = syntheticBatch(cfg, { batch: b, seed: 20 + b });
      const q = await qs.run({ tokens: new ort.Tensor("int32", s.query, [b, cfg.maxQueryLen]) });
      expect(q.vector!.dims).toEqual([b, cfg.dim]);
      const want = tf.tidy(() => model.encodeQuery(tf.tensor2d(s.query, [b, cfg.maxQueryLen], "int32")).dataSync());
      expect(maxAbsDiff(q.vector!.data as Float32Array, want)).toBeLessThanOrEqual(1e-4);
      const v = await runItem(is, cfg, b, s.title, s.patches, s.imageMask);
      expect(v.length).toBe(b * cfg.dim);
      const wantItem = tf.tidy(() =>
        model
          .encodeItem({
            titleTokens: tf.tensor2d(s.title, [b, cfg.maxTitleLen], "int32"),
            patches: tf.tensor3d(s.patches, [b, 16, cfg.patchSize * cfg.patchSize * 3]),
            imageMask: tf.tensor1d(s.imageMask),
          })
          .vector.dataSync(),
      );
      expect(maxAbsDiff(v, wantItem)).toBeLessThanOrEqual(1e-4);
    }
    await qs.release();
    await is.release();
  });

  it("text-only items ignore their patches and get unit vectors", async () => {
    const cfg = model.config;
    const is = await ort.InferenceSession.create(item);
    const mask = new Float32Array(4); // all text-only
    const a = syntheticBatch(cfg, { batch: 4, seed: 3, patchValue: 0.1, imageMask: [0, 0, 0, 0] });
    const b = syntheticBatch(cfg, { batch: 4, seed: 3, patchValue: 0.9, imageMask: [0, 0, 0, 0] });
    const va = await runItem(is, cfg, 4, a.title, a.patches, mask);
    const vb = await runItem(is, cfg, 4, b.title, b.patches, mask);
    expect(maxAbsDiff(va, vb)).toBe(0);
    for (let r = 0; r < 4; r++) {
      const row = va.subarray(r * cfg.dim, (r + 1) * cfg.dim);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
    // With an image the patches do matter.
    const withImage = await runItem(is, cfg, 4, a.title, b.patches, new Float32Array(4).fill(1));
    expect(maxAbsDiff(va, withImage)).toBeGreaterThan(1e-3);
    await is.release();
  });

  it("fails with ExportError PARITY_FAILED when one initializer is perturbed", async () => {
    const proto = decodeModel(item);
    const init = proto.graph!.initializer!.find((t) => t.name === "proj.w")!;
    const raw = new Float32Array(Uint8Array.from(init.rawData!).buffer); // decoded bytes are a view of a pooled Buffer
    raw[0] = raw[0]! + 0.05;
    init.rawData = new Uint8Array(raw.buffer);
    const broken = encodeModel(proto);
    const err = await checkParity(model, { query, item: broken }, { samples: 64 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    const e = err as ExportError;
    expect(e.code).toBe("PARITY_FAILED");
    expect(e.parity!.item.maxAbsDiff).toBeGreaterThan(1e-4);
    expect(e.parity!.query.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(e.message).toMatch(/item/);
  });
});

describe("other variants (tiny, perturbed weights)", () => {
  const variants = [
    { fusion: "fusion", queryTower: "separate" },
    { fusion: "fusion", queryTower: "shared", modalGate: false },
    { fusion: "text", queryTower: "shared" },
    { fusion: "concat", queryTower: "shared" },
    { fusion: "concat", queryTower: "separate" },
    // Issue #17's image-side shapes: one patch of a whole 32px thumbnail, an 8×8 grid of 64px thumbnails, 96px thumbnails, a wider and a deeper CNN.
    { fusion: "fusion", queryTower: "shared", patchGrid: 1, patchSize: 32 },
    { fusion: "fusion", queryTower: "shared", patchGrid: 8, patchSize: 8 },
    { fusion: "fusion", queryTower: "shared", patchSize: 24 },
    { fusion: "concat", queryTower: "shared", cnnChannels: [8, 16] },
    { fusion: "fusion", queryTower: "shared", patchGrid: 8, patchSize: 16, cnnChannels: [4, 8, 8, 16] },
    // The 4×4 patches and a whole-image token.
    { fusion: "fusion", queryTower: "shared", globalToken: true },
    { fusion: "concat", queryTower: "shared", globalToken: true },
    { fusion: "fusion", queryTower: "shared", globalToken: true, globalWeight: 0.5 },
  ] as const;
  for (const v of variants) {
    it(`${JSON.stringify(v)} matches TF.js within 1e-4`, async () => {
      const model = perturbedTinyModel({ ...v, ...("cnnChannels" in v ? { cnnChannels: [...(v.cnnChannels as readonly number[])] } : {}) } as Partial<ModelConfig>, 5);
      const w = modelWeights(model);
      const r = await checkParity(model, { query: buildQueryGraph(model.config, w), item: buildItemGraph(model.config, w) }, { samples: 64, batchSize: 24 });
      expect(r.query.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(r.item.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      model.dispose();
    });
  }
});
