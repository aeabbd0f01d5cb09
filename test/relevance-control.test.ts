import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder, RetrieveRequestSchema } from "../core/index.ts";
import { DEMO_BRANDS, DEMO_TYPES, generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/index.ts";
import { publishRelease } from "../lancedb/index.ts";

// Seed 001 §3.2 on the demo shop: "<brand> <type>" must never return another brand or type —
// except items marked relaxed, which come after every item that meets both constraints.
// Types are named by their category leaf ("dresses", "bag"); synonyms like "tee" are not in
// the lexicon (it is built from catalog values), so they do not constrain.
let dir: string;
let service: RetrievalService;
let truth: Map<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-relevance-"));
  const src = join(dir, "src");
  await generateDataset("demo", { out: src, items: 900, seed: 3 });
  const data = join(dir, "data");
  await importData({ catalog: join(src, "catalog.jsonl"), clicks: join(src, "clicks.jsonl"), out: data, images: false });
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 100 });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  const rows = (await readFile(join(src, "truth.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id: string; type: string });
  truth = new Map(rows.map((r) => [r.id, r.type]));
}, 120_000);
afterAll(async () => {
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("relevance control on the demo catalog", () => {
  it("returns only the asked brand and type for every brand × type pair", async () => {
    let answered = 0;
    for (const brand of DEMO_BRANDS) {
      for (const type of DEMO_TYPES) {
        const leaf = type.categories[0]!.split(">").at(-1)!.toLowerCase();
        // Plural leaf and singular key ("bag" for handbag: its leaf is "Bags").
        for (const word of [leaf, type.key === "handbag" ? "bag" : type.key]) {
          const r = await service.retrieve(RetrieveRequestSchema.parse({ query: `${brand} ${word}`, k: 50 }));
          expect(
            r.constraints.fromQuery.some((c) => c.field === "brand" && c.value === brand),
            `${brand} ${word}`,
          ).toBe(true);
          expect(
            r.constraints.fromQuery.some((c) => c.field === "category"),
            `${brand} ${word}`,
          ).toBe(true);
          const strict = r.items.filter((x) => !x.relaxed);
          for (const item of strict) {
            expect(item.brand, `${brand} ${word} → ${item.id}`).toBe(brand);
            expect(truth.get(item.id), `${brand} ${word} → ${item.id}`).toBe(type.key);
          }
          // Relaxed items only after the strict ones, and only when the strict ones fell short of k.
          expect(r.items.slice(0, strict.length)).toEqual(strict);
          if (strict.length < 50) expect(r.items.length).toBe(50);
          else expect(r.constraints.relaxed).toEqual([]);
          // Category is relaxed first: relaxed items keep the brand while the brand alone can fill k.
          if (r.constraints.relaxed.every((c) => c.field === "category")) expect(r.items.every((x) => x.brand === brand)).toBe(true);
          if (strict.length) answered++;
        }
      }
    }
    // Most pairs exist in a 900-item shop; the check above must not pass vacuously.
    expect(answered).toBeGreaterThan(DEMO_BRANDS.length * DEMO_TYPES.length);
  });
});
