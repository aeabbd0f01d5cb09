// buildBatch's title dropout: 0 draws exactly the batch it drew before the option existed; > 0
// blanks that share of the titles of items with an image (never of text-only items), the same way
// on every call for a (seed, step).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTrainingData, type TrainingData } from "../data/index.ts";
import { resolveConfig, type ModelConfig } from "../model/config.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import type { Tokenizer } from "../../encoders/index.ts";
import { buildBatch, type HostBatch } from "./batch.ts";
import { makeTrainingCatalog } from "./test-catalog.ts";

let dir: string;
let data: TrainingData;
let tokenizer: Tokenizer;
let mc: ModelConfig;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-batch-"));
  // 48 items, 12 of them without an image.
  data = await loadTrainingData(await makeTrainingCatalog(dir, 48, 12, 0));
  tokenizer = trainTokenizer(data.items.titles, { vocabSize: 64, minFreq: 1 });
  mc = resolveConfig("tiny", { vocabSize: tokenizer.vocabSize });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rates = { tokens: 0.15, patches: 0.25 };
const pairs = () => Int32Array.from({ length: data.pairs.item.length }, (_, i) => i);
// Byte equality per field (a deep equal walks the patches' ~10⁶ floats one by one).
const bytes = (h: HostBatch) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === "number" ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")]));
const blankRows = (t: Int32Array) => Array.from({ length: t.length / mc.maxTitleLen }, (_, i) => t.subarray(i * mc.maxTitleLen, (i + 1) * mc.maxTitleLen).every((x) => x === mc.padId));

describe("buildBatch title dropout", () => {
  it("0 (the default) draws the same batch as no option: every title kept, the same masks", () => {
    const a = buildBatch(data, tokenizer, mc, pairs(), 3, 7, rates);
    const b = buildBatch(data, tokenizer, mc, pairs(), 3, 7, rates, 0);
    expect(bytes(b)).toEqual(bytes(a));
    expect(blankRows(a.titleTokens).some(Boolean)).toBe(false);
  });

  it("blanks about that share of the titles of items with an image, none of text-only items, and the same ones on every call", () => {
    const h = buildBatch(data, tokenizer, mc, pairs(), 3, 7, rates, 0.5);
    const blank = blankRows(h.titleTokens);
    const withImage = Array.from(h.imageMask, (m) => m === 1);
    expect(withImage.some((m) => !m)).toBe(true);
    blank.forEach((isBlank, i) => {
      if (!withImage[i]) expect(isBlank).toBe(false);
    });
    const share = blank.filter(Boolean).length / withImage.filter(Boolean).length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
    // A blank title has nothing for MLM to predict.
    blank.forEach((isBlank, i) => {
      if (isBlank) expect(h.titleMask.subarray(i * mc.maxTitleLen, (i + 1) * mc.maxTitleLen).every((x) => x === 0)).toBe(true);
    });
    expect(bytes(buildBatch(data, tokenizer, mc, pairs(), 3, 7, rates, 0.5))).toEqual(bytes(h));
    // Another step draws other titles.
    expect(blankRows(buildBatch(data, tokenizer, mc, pairs(), 4, 7, rates, 0.5).titleTokens)).not.toEqual(blank);
  });
});
