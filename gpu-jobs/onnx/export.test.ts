import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { selectBackend } from "../tf/backend.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import { saveCheckpoint } from "../train/checkpoint.ts";
import { ExportError } from "./errors.ts";
import { exportModel } from "./export.ts";
import type { ModelCard } from "./export.ts";
import { maxAbsDiff, perturbedTinyModel } from "./test-support.ts";

const TITLES = ["red cotton shirt", "blue denim jeans", "striped linen shirt", "black leather boots", "white canvas sneakers", "green wool scarf"];

describe("exportModel (tiny run folder, wasm reference backend)", () => {
  let root: string;
  let runDir: string;
  let queryWant: Float32Array;
  const queryIds = Int32Array.from([5, 9, 2, 7, 0, 0, 0, 0]);

  beforeAll(async () => {
    // wasm is what export uses on machines without tfjs-node: its depthwise attention path is checked here.
    await selectBackend({ prefer: "wasm" });
    root = await mkdtemp(join(tmpdir(), "vitrine-onnx-"));
    runDir = join(root, "run");
    const tokenizer = trainTokenizer(
      TITLES.flatMap((t) => [t, t]),
      { vocabSize: 64, minFreq: 1 },
    );
    const model = perturbedTinyModel({ vocabSize: tokenizer.vocabSize });
    await saveCheckpoint(runDir, 3, model.variables, null, { modelConfig: model.config, config: { preset: "tiny" } });
    await writeFile(join(runDir, "tokenizer.json"), JSON.stringify(tokenizer.toJSON()));
    queryWant = tf.tidy(() => model.encodeQuery(tf.tensor2d(queryIds, [1, 8], "int32")).dataSync() as Float32Array);
    model.dispose();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes query.onnx, item.onnx, tokenizer.json and a card after parity passes", async () => {
    const outDir = join(root, "model");
    const lines: string[] = [];
    const r = await exportModel({ runDir, outDir, log: (l) => lines.push(l) });
    expect((await readdir(outDir)).sort()).toEqual(["item.onnx", "model.json", "query.onnx", "tokenizer.json"]);
    const card = JSON.parse(await readFile(join(outDir, "model.json"), "utf8")) as ModelCard;
    expect(card.checkpoint.step).toBe(3);
    expect(card.preset).toBe("tiny");
    expect(card.versions.onnxOpset).toBe(17);
    expect(card.versions.tfjsBackend).toBe("wasm");
    expect(card.dims).toMatchObject({ dim: 16, maxQueryLen: 8, maxTitleLen: 16, patches: 16, patchDim: 768 });
    expect(card.parity.samples).toBe(256);
    expect(Math.max(card.parity.query.maxAbsDiff, card.parity.item.maxAbsDiff)).toBeLessThanOrEqual(1e-4);
    expect(r.card.exportMs).toBeGreaterThan(0);
    expect(lines.some((l) => /parity/.test(l))).toBe(true);
    // The written file reproduces the checkpoint's TF.js query vector.
    const qs = await ort.InferenceSession.create(join(outDir, "query.onnx"));
    const out = await qs.run({ tokens: new ort.Tensor("int32", queryIds, [1, 8]) });
    expect(maxAbsDiff(out.vector!.data as Float32Array, queryWant)).toBeLessThanOrEqual(1e-4);
    await qs.release();
    // No temp folders left beside it.
    expect((await readdir(root)).sort()).toEqual(["model", "run"]);
  });

  it("writes nothing when parity fails, and keeps an earlier export intact", async () => {
    const outDir = join(root, "model");
    const before = await readFile(join(outDir, "model.json"), "utf8");
    const err = await exportModel({ runDir, outDir, parity: { tolerance: 0, samples: 16 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe("PARITY_FAILED");
    expect(await readFile(join(outDir, "model.json"), "utf8")).toBe(before);
    expect((await readdir(root)).sort()).toEqual(["model", "run"]);
    const fresh = join(root, "never");
    await expect(exportModel({ runDir, outDir: fresh, parity: { tolerance: 0, samples: 16 } })).rejects.toThrow(ExportError);
    expect((await readdir(root)).sort()).toEqual(["model", "run"]);
  });

  it("rejects a folder that is not a pre-training run", async () => {
    const err = await exportModel({ runDir: root, outDir: join(root, "x") }).catch((e: unknown) => e);
    expect((err as ExportError).code).toBe("BAD_RUN_DIR");
  });
});
