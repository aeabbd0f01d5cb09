import { canonicalTerms } from "../core/index.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { matchesIntent } from "./clicks.ts";
import { demoItems } from "./demo.ts";
import { DEMO_COLOURS, DEMO_PATTERNS } from "./demo-vocab.ts";
import { generateDataset } from "./index.ts";
import { hashTree, readJsonl, tempDir } from "./test-helpers.ts";
import type { ClickRow, DatasetManifest, JudgmentRow, QueryRow, TruthRow } from "./types.ts";

const catalogRow = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    image: z
      .string()
      .regex(/^images\/[^/]+\.png$/)
      .optional(),
    brand: z.string().min(1),
    category: z.string().regex(/^[^>]+(>[^>]+)+$/),
    price: z
      .number()
      .nonnegative()
      .refine((p) => Math.round(p * 100) === p * 100 || Math.abs(Math.round(p * 100) - p * 100) < 1e-6),
    attributes: z.record(z.string(), z.string()).optional(),
  })
  .strict();
const clickRow = z
  .object({
    query: z.string().min(1),
    item_id: z.string().min(1),
    clicks: z.number().int().min(1),
    purchases: z.number().int().min(0).optional(),
    ts: z.iso.datetime(),
  })
  .strict();

/** Whole-word, case-insensitive mention of any of the words. */
function mentions(title: string, words: readonly string[]): boolean {
  return words.some((w) => new RegExp(`(^|[^a-z])${w.toLowerCase()}($|[^a-z])`).test(title.toLowerCase()));
}

describe("demo dataset", () => {
  let a: { dir: string; cleanup: () => Promise<void> };
  let b: { dir: string; cleanup: () => Promise<void> };
  let c: { dir: string; cleanup: () => Promise<void> };
  let manifest: DatasetManifest;
  const progress: number[] = [];

  beforeAll(async () => {
    [a, b, c] = await Promise.all([tempDir("demo-a"), tempDir("demo-b"), tempDir("demo-c")]);
    manifest = await generateDataset("demo", { out: a.dir, items: 120, onProgress: (d) => progress.push(d) });
    await generateDataset("demo", { out: b.dir, items: 120, seed: 42 });
    await generateDataset("demo", { out: c.dir, items: 120, seed: 7 });
  });
  afterAll(async () => {
    await Promise.all([a.cleanup(), b.cleanup(), c.cleanup()]);
  });

  it("is byte-identical for the same seed, images included, and differs for another seed", async () => {
    const [ha, hb, hc] = await Promise.all([hashTree(a.dir), hashTree(b.dir), hashTree(c.dir)]);
    expect(Object.keys(ha).filter((f) => f.endsWith(".png")).length).toBe(manifest.counts.imagesWritten);
    expect(hb).toEqual(ha);
    expect(hc["catalog.jsonl"]).not.toBe(ha["catalog.jsonl"]);
    expect(hc["clicks.jsonl"]).not.toBe(ha["clicks.jsonl"]);
  });

  it("writes a manifest whose counts match the files and reports progress", async () => {
    expect(manifest).toMatchObject({ name: "demo", seed: 42, version: 1, options: { items: 120, titleAttrRate: 0.4, clicks: 900 } });
    expect((await readJsonl(join(a.dir, "catalog.jsonl"))).length).toBe(120);
    expect((await readJsonl(join(a.dir, "clicks.jsonl"))).length).toBe(manifest.counts.clicks);
    expect((await readJsonl(join(a.dir, "clicks-eval.jsonl"))).length).toBe(manifest.counts.clicksEval);
    expect((await readJsonl(join(a.dir, "queries.jsonl"))).length).toBe(manifest.counts.queries);
    expect((await readJsonl(join(a.dir, "judgments.jsonl"))).length).toBe(manifest.counts.judgments);
    expect(manifest.counts.clicksEval / manifest.counts.clicks).toBeGreaterThan(0.04);
    expect(manifest.counts.clicksEval / manifest.counts.clicks).toBeLessThan(0.25);
    expect(progress.at(-1)).toBe(120);
  });

  it("holds out whole (query, item) pairs: no held-out pair occurs in the training log", async () => {
    const pair = (r: { query: string; item_id: string }) => `${canonicalTerms(r.query)}|${r.item_id}`;
    const train = new Set((await readJsonl<{ query: string; item_id: string }>(join(a.dir, "clicks.jsonl"))).map(pair));
    const held = (await readJsonl<{ query: string; item_id: string }>(join(a.dir, "clicks-eval.jsonl"))).map(pair);
    expect(held.length).toBeGreaterThan(20);
    expect(held.filter((p) => train.has(p))).toEqual([]);
  });

  it("writes valid catalog rows with decodable 128×128 images and no colour/pattern in attributes", async () => {
    const rows = (await readJsonl<unknown>(join(a.dir, "catalog.jsonl"))).map((r) => catalogRow.parse(r));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const attrWords = new Set([...DEMO_COLOURS.flatMap((x) => x.queryWords), ...DEMO_PATTERNS.flatMap((x) => x.queryWords), ...DEMO_COLOURS.map((x) => x.key), ...DEMO_PATTERNS.map((x) => x.key)]);
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.attributes ?? {})) {
        expect(["colour", "color", "pattern"]).not.toContain(k);
        expect(attrWords.has(v.toLowerCase())).toBe(false);
      }
    }
    const withImage = rows.filter((r) => r.image);
    expect(withImage.length).toBeGreaterThan(100);
    for (const r of withImage.slice(0, 40)) {
      const meta = await sharp(join(a.dir, r.image as string)).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([128, 128, "png"]);
    }
    for (const r of withImage) expect(existsSync(join(a.dir, r.image as string))).toBe(true);
  });

  it("keeps clicks, queries and judgments consistent with the hidden truth", async () => {
    const ids = new Set((await readJsonl<{ id: string }>(join(a.dir, "catalog.jsonl"))).map((r) => r.id));
    const truth = new Map((await readJsonl<TruthRow>(join(a.dir, "truth.jsonl"))).map((t) => [t.id, t]));
    const brands = new Map((await readJsonl<{ id: string; brand: string }>(join(a.dir, "catalog.jsonl"))).map((r) => [r.id, r.brand]));
    const train = (await readJsonl<ClickRow>(join(a.dir, "clicks.jsonl"))).map((r) => clickRow.parse(r));
    const evalRows = (await readJsonl<ClickRow>(join(a.dir, "clicks-eval.jsonl"))).map((r) => clickRow.parse(r));
    const queries = new Map((await readJsonl<QueryRow>(join(a.dir, "queries.jsonl"))).map((q) => [q.query, q]));
    const judgments = await readJsonl<JudgmentRow>(join(a.dir, "judgments.jsonl"));
    const truthOf = (id: string) => ({ ...(truth.get(id) as TruthRow), brand: brands.get(id) as string });
    for (const r of [...train, ...evalRows]) {
      expect(ids.has(r.item_id)).toBe(true);
      const q = queries.get(r.query);
      expect(q, r.query).toBeDefined();
      expect(matchesIntent(truthOf(r.item_id), (q as QueryRow).intent)).toBe(true);
    }
    const judged = new Set(judgments.map((j) => j.query));
    for (const r of evalRows) expect(judged.has(r.query)).toBe(true);
    for (const j of judgments) {
      expect(j.grade).toBe(1);
      expect(matchesIntent(truthOf(j.item_id), (queries.get(j.query) as QueryRow).intent)).toBe(true);
    }
    // Complete: every matching item is judged for a judged query.
    const one = judgments[0] as JudgmentRow;
    const intent = (queries.get(one.query) as QueryRow).intent;
    const expected = [...ids].filter((id) => matchesIntent(truthOf(id), intent));
    expect(judgments.filter((j) => j.query === one.query).map((j) => j.item_id)).toEqual(expected);
    // Held-out pairs, not held-out days: queries mostly repeat (head queries), items differ.
    const trainQueries = new Set(train.map((r) => r.query));
    expect(evalRows.filter((r) => trainQueries.has(r.query)).length / evalRows.length).toBeGreaterThan(0.3);
  });

  it("refuses to overwrite a non-empty folder that is not a dataset", async () => {
    const t = await tempDir("demo-busy");
    try {
      await import("node:fs/promises").then((fs) => fs.writeFile(join(t.dir, "mine.txt"), "keep me"));
      await expect(generateDataset("demo", { out: t.dir, items: 5 })).rejects.toMatchObject({ code: "OUT_NOT_EMPTY" });
    } finally {
      await t.cleanup();
    }
  });
});

describe("demo titles", () => {
  const colourOf = new Map(DEMO_COLOURS.map((x) => [x.key, x]));
  const patternOf = new Map(DEMO_PATTERNS.map((x) => [x.key, x]));

  it("mention colour and pattern about titleAttrRate of the time, and truth says exactly when", () => {
    for (const rate of [0, 0.4, 1]) {
      const items = demoItems({ seed: 3, items: 600, titleAttrRate: rate });
      let colourShare = 0;
      let patternShare = 0;
      for (const it of items) {
        const c = colourOf.get(it.truth.colour as string);
        const p = patternOf.get(it.truth.pattern as string);
        expect(mentions(it.row.title, c?.titleWords ?? [])).toBe(it.truth.title_mentions_colour);
        expect(mentions(it.row.title, p?.titleWords ?? [])).toBe(it.truth.title_mentions_pattern);
        // No other colour word sneaks in through brand or filler.
        for (const other of DEMO_COLOURS) if (other.key !== c?.key) expect(mentions(it.row.title, other.titleWords)).toBe(false);
        colourShare += it.truth.title_mentions_colour ? 1 / items.length : 0;
        patternShare += it.truth.title_mentions_pattern ? 1 / items.length : 0;
      }
      expect(Math.abs(colourShare - rate)).toBeLessThan(0.07);
      expect(Math.abs(patternShare - rate)).toBeLessThan(0.07);
    }
  });

  it("leaves about 2% of items text-only and draws a smaller catalog as a prefix of a larger one", () => {
    const big = demoItems({ seed: 5, items: 2000, titleAttrRate: 0.4 });
    const small = demoItems({ seed: 5, items: 50, titleAttrRate: 0.4 });
    expect(big.slice(0, 50).map((x) => x.row)).toEqual(small.map((x) => x.row));
    const textOnly = big.filter((x) => !x.row.image).length / big.length;
    expect(textOnly).toBeGreaterThan(0.005);
    expect(textOnly).toBeLessThan(0.04);
    expect(new Set(big.map((x) => x.row.brand)).size).toBeGreaterThanOrEqual(25);
  });
});
