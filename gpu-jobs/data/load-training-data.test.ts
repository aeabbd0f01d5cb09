import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData, patchify } from "../../ingest/index.ts";
import { CLICK_SCHEMA, IMPORT_TABLES, openStore } from "../../lancedb/index.ts";
import { makeArrowTable } from "@lancedb/lancedb";
import { TrainError } from "../errors.ts";
import { loadTrainingData, type TrainingData } from "./load-training-data.ts";
import { patchDim, patchesOf } from "./patches.ts";

let dir: string;
let data: TrainingData;
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** A 64×64 PNG whose four quadrants have different colours (so patches differ). */
async function quadrants(seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const q = (y < 32 ? 0 : 2) + (x < 32 ? 0 : 1);
      const i = (y * 64 + x) * 3;
      raw[i] = (seed * 50 + q * 60) % 256;
      raw[i + 1] = (q * 40 + x) % 256;
      raw[i + 2] = (seed * 30 + y) % 256;
    }
  }
  return sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-train-data-"));
  for (const k of [1, 2, 3]) await writeFile(join(dir, `img${k}.png`), await quadrants(k));
  await writeFile(join(dir, "broken.png"), Buffer.from("\x89PNG\r\n\x1a\nnot a png"));
  await writeFile(
    join(dir, "catalog.jsonl"),
    jsonl([
      { id: "a", title: "Red Floral Dress", image: "img1.png", brand: "Acme", category: "Women>Dresses" },
      { id: "b", title: "Blue Denim Jacket", image: "img2.png", brand: "Blue Co" },
      { id: "c", title: "Plain Bag" },
      { id: "d", title: "红色连衣裙", image: "broken.png", category: "Women>Dresses" },
      { id: "e", title: "Running Shoes", image: "img3.png" },
    ]),
  );
  await writeFile(
    join(dir, "clicks.jsonl"),
    jsonl([
      { query: "Red dress", item_id: "a", clicks: 3 },
      { query: "denim jacket", item_id: "b" },
      { query: "dress red", item_id: "d", clicks: 2 },
      { query: "bag", item_id: "c" },
    ]),
  );
  await writeFile(join(dir, "eval.jsonl"), jsonl([{ query: "shoes running", item_id: "e", clicks: 4 }]));
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), evalClicks: join(dir, "eval.jsonl"), out: join(dir, "data") });
  data = await loadTrainingData(join(dir, "data"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadTrainingData", () => {
  it("reads the catalog in file order, with real thumbnails and zeros for text-only items", () => {
    const { items } = data;
    expect(items.ids).toEqual(["a", "b", "c", "d", "e"]);
    expect(items.titles[3]).toBe("红色连衣裙");
    expect(items.brands).toEqual(["Acme", "Blue Co", null, null, null]);
    expect(items.categories[0]).toBe("Women>Dresses");
    expect(items.textOnly).toEqual([false, false, true, true, false]);
    expect(items.thumbSize).toBe(64);
    expect(items.grid).toBe(4);
    const bytes = 64 * 64 * 3;
    expect(items.thumbs).toHaveLength(5 * bytes);
    const thumb = (row: number) => items.thumbs.subarray(row * bytes, (row + 1) * bytes);
    for (const row of [2, 3]) expect(thumb(row).every((v) => v === 0)).toBe(true);
    // Item a's top-left pixel is its seed colour (lossless PNG, same size: no resampling).
    expect([...thumb(0).subarray(0, 3)]).toEqual([50, 0, 30]);
    expect(thumb(0)).not.toEqual(thumb(1));
  });

  it("reads pairs as canonical terms, item rows and click weights; eval pairs from clicks_eval", () => {
    expect(data.pairs.query).toEqual(["dress red", "denim jacket", "dress red", "bag"]);
    expect([...data.pairs.item]).toEqual([0, 1, 3, 2]);
    expect([...data.pairs.weight]).toEqual([3, 1, 2, 1]);
    expect(data.evalPairs.query).toEqual(["running shoes"]);
    expect([...data.evalPairs.item]).toEqual([4]);
    expect([...data.evalPairs.weight]).toEqual([4]);
  });

  it("gives item frequencies with add-one smoothing that sum to 1", () => {
    // clicks per item: a 3, b 1, c 1, d 2, e 0 (eval clicks do not count); total 7 + 5.
    expect([...data.itemFrequency].map((x) => x * 12)).toEqual([4, 2, 2, 3, 1].map((x) => expect.closeTo(x, 5)));
    expect(data.itemFrequency.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("stays pinned to the manifest's table versions when a table changes afterwards", async () => {
    const db = await openStore(join(dir, "data"));
    const clicks = await db.openTable(IMPORT_TABLES.clicks);
    const row = { query: "extra", item_id: "e", clicks: 9, purchases: null, ts: null, qid: 1, terms: "extra", line: 99 };
    await clicks.add(makeArrowTable([row], { schema: CLICK_SCHEMA }));
    const again = await loadTrainingData(join(dir, "data"), { thumbs: false });
    expect(again.pairs.query).toEqual(data.pairs.query);
    expect(again.items.thumbs).toHaveLength(0);
    expect(again.versions).toEqual(data.versions);
  });

  it("fails with NO_TRAINING_DATA for a missing import or one without clicks", async () => {
    const missing = await loadTrainingData(join(dir, "nowhere")).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TrainError);
    expect((missing as TrainError).code).toBe("NO_TRAINING_DATA");
    await importData({ catalog: join(dir, "catalog.jsonl"), out: join(dir, "no-clicks"), images: false });
    const none = await loadTrainingData(join(dir, "no-clicks")).catch((e: unknown) => e);
    expect((none as TrainError).code).toBe("NO_TRAINING_DATA");
    expect((none as TrainError).message).toMatch(/--clicks/);
    const ok = await loadTrainingData(join(dir, "no-clicks"), { allowNoPairs: true });
    expect(ok.pairs.query).toEqual([]);
    expect(ok.items.textOnly.every(Boolean)).toBe(true);
    expect(ok.itemFrequency.every((x) => Math.abs(x - 0.2) < 1e-7)).toBe(true);
  });
});

describe("patchesOf", () => {
  it("matches ingest's patchify, row-major, zeros for text-only items, and reuses out", () => {
    const rows = Int32Array.from([4, 2, 0]);
    const dim = patchDim(64, 4);
    expect(dim).toBe(16 * 16 * 3);
    const p = patchesOf(data.items, rows);
    expect(p).toHaveLength(3 * 16 * dim);
    const bytes = 64 * 64 * 3;
    for (const [b, row] of [
      [0, 4],
      [2, 0],
    ] as const) {
      const ref = patchify(data.items.thumbs.subarray(row * bytes, (row + 1) * bytes), 64, 4);
      for (let k = 0; k < 16; k++) expect(p.subarray((b * 16 + k) * dim, (b * 16 + k + 1) * dim)).toEqual(ref[k]);
    }
    expect(p.subarray(16 * dim, 32 * dim).every((v) => v === 0)).toBe(true);
    const out = new Float32Array(3 * 16 * dim);
    expect(patchesOf(data.items, rows, 4, out)).toBe(out);
    expect(out).toEqual(p);
    expect(patchesOf(data.items, Int32Array.from([0]), 2)).toHaveLength(4 * 32 * 32 * 3);
    expect(() => patchesOf(data.items, rows, 5)).toThrow(TrainError);
    expect(() => patchesOf(data.items, Int32Array.from([5]))).toThrow(/out of range/);
  });
});
