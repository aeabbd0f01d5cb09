import { existsSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchesIntent } from "./clicks.ts";
import { FASHION_CLASSES, FASHION_MNIST_DIR } from "./fashion-mnist.ts";
import { generateDataset } from "./index.ts";
import { hashTree, readJsonl, tempDir } from "./test-helpers.ts";
import type { CatalogRow, ClickRow, JudgmentRow, QueryRow, TruthRow } from "./types.ts";

// Not skipped when the data is missing: CI installs dataset-fashion-mnist, so absence is a failure.
describe("fashion-mnist dataset", () => {
  let a: { dir: string; cleanup: () => Promise<void> };
  let b: { dir: string; cleanup: () => Promise<void> };
  let c: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    expect(existsSync(FASHION_MNIST_DIR), `${FASHION_MNIST_DIR} missing: apt-get install dataset-fashion-mnist`).toBe(true);
    [a, b, c] = await Promise.all([tempDir("fm-a"), tempDir("fm-b"), tempDir("fm-c")]);
    await generateDataset("fashion-mnist", { out: a.dir, items: 200 });
    await generateDataset("fashion-mnist", { out: b.dir, items: 200 });
    await generateDataset("fashion-mnist", { out: c.dir, items: 200, seed: 1 });
  });
  afterAll(async () => {
    await Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()]);
  });

  it("is byte-identical for the same seed and differs for another", async () => {
    const [ha, hb, hc] = await Promise.all([hashTree(a.dir), hashTree(b.dir), hashTree(c.dir)]);
    expect(Object.keys(ha).filter((f) => f.endsWith(".png")).length).toBe(200);
    expect(hb).toEqual(ha);
    expect(hc["catalog.jsonl"]).not.toBe(ha["catalog.jsonl"]);
  });

  it("writes 112×112 real images, per-class categories, and titles that often omit the type", async () => {
    const rows = await readJsonl<CatalogRow>(join(a.dir, "catalog.jsonl"));
    const truth = await readJsonl<TruthRow>(join(a.dir, "truth.jsonl"));
    expect(new Set(rows.map((r) => r.id)).size).toBe(200);
    const classOf = new Map(FASHION_CLASSES.map((k) => [k.key, k]));
    rows.forEach((r, i) => {
      const t = truth[i] as TruthRow;
      expect(t.id).toBe(r.id);
      const cls = classOf.get(t.type);
      expect(cls).toBeDefined();
      expect(r.category).toBe(cls?.category);
      const said = cls?.titleWords.some((w) => r.title.toLowerCase().includes(w.toLowerCase()));
      expect(said).toBe(t.title_mentions_type);
      expect(r.price).toBeGreaterThanOrEqual(0);
    });
    const typeShare = truth.filter((t) => t.title_mentions_type).length / truth.length;
    expect(typeShare).toBeGreaterThan(0.28);
    expect(typeShare).toBeLessThan(0.52);
    expect(new Set(truth.map((t) => t.type)).size).toBe(10);
    const first = rows[0] as CatalogRow;
    const { data, info } = await sharp(join(a.dir, first.image as string))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([112, 112]);
    // A real photo, not a blank: plenty of distinct grey levels.
    expect(new Set(data).size).toBeGreaterThan(20);
  });

  it("judges by type (and brand) and clicks only existing, matching items", async () => {
    const catalog = await readJsonl<CatalogRow>(join(a.dir, "catalog.jsonl"));
    const truth = new Map((await readJsonl<TruthRow>(join(a.dir, "truth.jsonl"))).map((t) => [t.id, t]));
    const brand = new Map(catalog.map((r) => [r.id, r.brand]));
    const queries = new Map((await readJsonl<QueryRow>(join(a.dir, "queries.jsonl"))).map((q) => [q.query, q]));
    const truthOf = (id: string) => ({ type: truth.get(id)?.type, brand: brand.get(id) });
    const clicks = [...(await readJsonl<ClickRow>(join(a.dir, "clicks.jsonl"))), ...(await readJsonl<ClickRow>(join(a.dir, "clicks-eval.jsonl")))];
    for (const r of clicks) {
      const q = queries.get(r.query) as QueryRow;
      expect(["type", "brand type"]).toContain(q.template);
      expect(matchesIntent(truthOf(r.item_id), q.intent)).toBe(true);
    }
    const judgments = await readJsonl<JudgmentRow>(join(a.dir, "judgments.jsonl"));
    expect(judgments.length).toBeGreaterThan(0);
    for (const j of judgments) expect(matchesIntent(truthOf(j.item_id), (queries.get(j.query) as QueryRow).intent)).toBe(true);
  });

  it("says how to install the data when the source folder is empty", async () => {
    const empty = await tempDir("fm-empty");
    const out = await tempDir("fm-out");
    try {
      const err = await generateDataset("fashion-mnist", { out: out.dir, items: 10, sourceDir: empty.dir }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "DatasetError", code: "FASHION_MNIST_MISSING" });
      expect((err as Error).message).toContain("apt-get install dataset-fashion-mnist");
      expect((err as Error).message).toContain("--source");
    } finally {
      await Promise.all([empty.cleanup(), out.cleanup()]);
    }
  });
});
