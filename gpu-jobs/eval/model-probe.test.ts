import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData } from "../../ingest/index.ts";
import { readModelDir } from "../../encoders/index.ts";
import { itemFeeds } from "../embed/item-feeds.ts";
import { exportModel } from "../onnx/export.ts";
import { maxAbsDiff } from "../onnx/test-support.ts";
import { resolvePretrainConfig } from "../train/pretrain-config.ts";
import { runPretrain } from "../train/pretrain.ts";
import type { EvalContext } from "./eval-context.ts";
import { probeExportedModel } from "./exported-probe.ts";
import { meanProbe, probeCard, probeCell, probeLine, probeModel, probeRun } from "./model-probe.ts";
import { encodeRun, type RunVectors } from "./run-vectors.ts";

// 60 items in 4 categories (one of 10 items, so the majority class is not a quarter); each
// category's images share a colour, titles are two words that never name the category: only the
// image tells it.
const WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split(" ");
const CATEGORIES = ["Shoes>Boots", "Shoes>Sandals", "Clothing>Dresses", "Bags"];
const COLOURS = [
  { r: 200, g: 30, b: 30 },
  { r: 30, g: 200, b: 30 },
  { r: 30, g: 30, b: 200 },
  { r: 220, g: 220, b: 40 },
];

let dir: string;
let dataDir: string;
const runs: Record<"text" | "fusion", string> = { text: "", fusion: "" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-probe-"));
  await mkdir(join(dir, "img"), { recursive: true });
  const rows: object[] = [];
  const clicks: object[] = [];
  for (let i = 0; i < 60; i++) {
    const c = i < 10 ? 3 : i % 3;
    const base = COLOURS[c]!;
    const jitter = (i * 17) % 30;
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: base.r - jitter, g: base.g - jitter, b: base.b - jitter } } })
      .png()
      .toFile(join(dir, "img", `${i}.png`));
    const title = `${WORDS[i % 12]} ${WORDS[Math.floor(i / 12) % 12]}`;
    rows.push({ id: `p${i}`, title: `${title} item`, image: `img/${i}.png`, category: CATEGORIES[c], price: 1 });
    for (let r = 0; r < 2; r++) clicks.push({ query: title, item_id: `p${i}` });
  }
  await writeFile(join(dir, "catalog.jsonl"), rows.map((x) => JSON.stringify(x)).join("\n"));
  await writeFile(join(dir, "clicks.jsonl"), clicks.map((x) => JSON.stringify(x)).join("\n"));
  dataDir = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: dataDir, evalFraction: 0 });
  for (const fusion of ["text", "fusion"] as const) {
    runs[fusion] = join(dataDir, "runs", fusion);
    const r = await runPretrain({ dataDir, runDir: runs[fusion], config: resolvePretrainConfig("tiny", { steps: 20, batchSize: 16, fusion }), backend: "wasm" });
    r.model.dispose();
  }
}, 240_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What encodeRun reads from an eval context: the catalog, and no queries to encode. */
async function context(): Promise<EvalContext> {
  const { loadTrainingData } = await import("../data/index.ts");
  return { data: await loadTrainingData(dataDir), queries: [], tuning: [], logged: [] } as unknown as EvalContext;
}

describe("the probe of a trained model", () => {
  let ctx: EvalContext;
  const vectors: Partial<Record<"text" | "fusion", RunVectors>> = {};

  it("encodes a run with the title masked without leaking tensors, and probes both variants to finite figures", async () => {
    ctx = await context();
    for (const fusion of ["text", "fusion"] as const) {
      const before = tf.memory().numTensors;
      const v = (await encodeRun(ctx, runs[fusion]))!;
      expect(tf.memory().numTensors).toBe(before);
      expect(v.maskedItems).toHaveLength(60 * v.dim);
      vectors[fusion] = v;
      const p = probeRun(ctx, v);
      for (const r of [p.published!, p.titleMasked!]) {
        expect(r.items).toBe(60);
        expect(r.classes).toBe(4);
        expect(Number.isFinite(r.accuracy) && r.accuracy >= 0 && r.accuracy <= 1).toBe(true);
        expect(Number.isFinite(r.majority)).toBe(true);
        expect(r.sd === null || Number.isFinite(r.sd)).toBe(true);
      }
      expect(probeCell(p.titleMasked)).toMatch(/^\d+\.\d ± (\d+\.\d|n\/a)$/);
      expect(probeLine("run", p)).toMatch(/title masked: \d/);
      expect(JSON.parse(JSON.stringify(probeCard(p)))).toMatchObject({ published: { classes: 4 }, titleMasked: { items: 60 } });
    }
    // encodeRun can skip the masked pass.
    const plain = (await encodeRun(ctx, runs.text, { maskedTitle: false }))!;
    expect(plain.maskedItems).toBeUndefined();
    expect(probeRun(ctx, plain).titleMasked).toBeNull();
  }, 120_000);

  it("gives a text-only model's masked vectors the majority-class baseline: an empty title is the same for every item", () => {
    const p = probeRun(ctx, vectors.text!);
    expect(p.titleMasked!.accuracy).toBeCloseTo(p.titleMasked!.majority, 6);
    // Text-only items take no part in the masked probe.
    const items = { ...ctx.data.items, textOnly: ctx.data.items.textOnly.map((_, i) => i < 20) };
    expect(probeModel(items, vectors.fusion!).titleMasked!.items).toBe(40);
    expect(meanProbe([p, p]).published!.accuracy).toBeCloseTo(p.published!.accuracy, 12);
    expect(meanProbe([p, p]).published!.sd).toBe(0);
  });

  it("probes an exported model through item.onnx: masked vectors agree with TF.js, figures with the run's", async () => {
    const modelDir = join(dir, "model");
    await exportModel({ runDir: runs.fusion, outDir: modelDir, backend: "wasm", parity: { samples: 16 } });
    const { card, tokenizer } = await readModelDir(modelDir);
    const session = await ort.InferenceSession.create(join(modelDir, "item.onnx"));
    const rows = Int32Array.from({ length: 60 }, (_, i) => i);
    const masked = (await session.run(itemFeeds(ort, ctx.data.items, rows, tokenizer, card.dims, { maskTitle: true }))).vector!.data as Float32Array;
    await session.release();
    expect(maxAbsDiff(masked, vectors.fusion!.maskedItems!)).toBeLessThan(1e-4);
    const exported = await probeExportedModel({ dataDir, modelDir, items: ctx.data.items });
    const run = probeRun(ctx, vectors.fusion!);
    expect(exported.titleMasked!.accuracy).toBeCloseTo(run.titleMasked!.accuracy, 1);
    expect(exported.published!.accuracy).toBeCloseTo(run.published!.accuracy, 1);
  }, 120_000);
});
