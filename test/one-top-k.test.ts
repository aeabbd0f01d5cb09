// Issue #11: publish's precomputed qid lists, serving's live search and eval's rankings (and its
// `--ann` ground truth) come from core's one exact top-K, so they agree row for row, ties included.
// Item vectors here are the hash vector of the item's category alone: every item of a category
// scores the same for any query, so the lists are cut inside runs of tied scores and only one shared
// tie rule (equal score → lower row) lets the three paths agree.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, exactTopK, exactTopKBatch, runRetrieve, type Blend } from "../core/index.ts";
import { generateDataset } from "../datasets/index.ts";
import { candidateIndex, loadEvalContext, rankQueries, type EvalContext } from "../gpu-jobs/index.ts";
import { importData } from "../ingest/index.ts";
import { loadReleaseIndex, openRelease, publishRelease, type ReleaseIndex } from "../lancedb/index.ts";

const enc = createHashEncoder();
const encode = async (ts: readonly string[]) => enc.encode([...ts]);
let dir: string;
let data: string;
let vectorOf: Map<string, Float32Array>;
let ctx: EvalContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-one-top-k-"));
  data = join(dir, "data");
  await generateDataset("demo", { out: join(dir, "src"), items: 300, seed: 11 });
  await importData({ catalog: join(dir, "src", "catalog.jsonl"), clicks: join(dir, "src", "clicks.jsonl"), evalClicks: join(dir, "src", "clicks-eval.jsonl"), out: data, images: false });
  const items = (await readFile(join(dir, "src", "catalog.jsonl"), "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; category?: string });
  vectorOf = new Map(items.map((i) => [i.id, enc.encode([i.category ?? "none"])[0]!]));
  ctx = await loadEvalContext(data);
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* itemVectors(ids: Iterable<string>) {
  for (const id of ids) yield { id, vector: vectorOf.get(id)! };
}

/** Publish with the category vectors; the release's index and its stored lists by qid. */
async function publish(opts: { blend: Blend; lexical: boolean }) {
  const info = await publishRelease({ dataDir: data, encoder: enc, itemVectors: itemVectors(vectorOf.keys()), topK: 200, activate: false, ...opts });
  const rel = await openRelease(data, info.id);
  const idx = await loadReleaseIndex(rel);
  const stored = (await rel.qids.query().toArray()).map((r) => ({ qid: Number(r.qid), terms: String(r.terms), ids: [...(r.item_ids as Iterable<string>)] }));
  return { idx, stored };
}

/** Serving's live answer (no qid list, no query understanding), as item ids. */
async function live(idx: ReleaseIndex, terms: string, k: number): Promise<string[]> {
  const r = await runRetrieve(idx, { query: terms, k, understand: false }, { encode: async (t) => enc.encode([t])[0]!, exactLimit: 100_000, useQidLists: false });
  return r.hits.map((h) => idx.ids[h.row]!);
}

describe("one exact top-K for publish, serving and eval", () => {
  it("vectors alone: stored lists = serving's live search = eval's --ann ground truth = exactTopK, cut inside tied runs", async () => {
    const { idx, stored } = await publish({ blend: { method: "convex", weight: 1 }, lexical: false });
    expect(stored.length).toBeGreaterThan(20);
    const qv = await encode(stored.map((s) => s.terms));
    // eval --ann ranks the eval's own vectors (catalog order) with exactTopKBatch, k = 200.
    const evalItems = new Float32Array(ctx.catalog.ids.length * enc.dim);
    ctx.catalog.ids.forEach((id, i) => evalItems.set(vectorOf.get(id)!, i * enc.dim));
    const truth = exactTopKBatch({ items: evalItems, queries: qv, dim: enc.dim, k: 200 });
    let cutInTie = 0;
    for (const [i, s] of stored.entries()) {
      expect(s.ids).toEqual(await live(idx, s.terms, 200));
      expect(s.ids).toEqual(Array.from(truth.rows[i]!, (r) => ctx.catalog.ids[r]!));
      const all = exactTopK(idx.vectors, idx.dim, qv[i]!, idx.n, null, idx.n);
      expect(s.ids).toEqual(all.slice(0, 200).map((h) => idx.ids[h.row]!));
      if (all[199]!.score === all[200]!.score) cutInTie++;
    }
    // The data must make the tie rule matter: most lists end in the middle of a run of equal scores.
    expect(cutInTie).toBeGreaterThan(stored.length / 2);
  }, 120_000);

  it("both channels: stored lists = serving's live search = eval's precomputed lists, and eval ranks its queries as serving does", async () => {
    const blend: Blend = { method: "convex", weight: 0.5 };
    const { idx, stored } = await publish({ blend, lexical: true });
    const evalItems = new Float32Array(ctx.catalog.ids.length * enc.dim);
    ctx.catalog.ids.forEach((id, i) => evalItems.set(vectorOf.get(id)!, i * enc.dim));
    const { index } = await candidateIndex(ctx, { items: evalItems, dim: enc.dim, encode }, { blend, lexical: true });
    let compared = 0;
    for (const s of stored) {
      expect(s.ids).toEqual(await live(idx, s.terms, 200));
      const list = index.qidList(s.qid, s.terms);
      if (!list) continue; // a query eval does not treat as logged
      expect(Array.from(list.rows, (r) => ctx.catalog.ids[r]!)).toEqual(s.ids);
      compared++;
    }
    expect(compared).toBeGreaterThan(stored.length / 2);
    // eval's rankings of its test queries (understanding, qid lists, relaxation) = the API's answers.
    const ranked = await rankQueries(ctx, index, encode);
    for (const [i, q] of ctx.queries.entries()) {
      const served = await runRetrieve(idx, { query: q, k: 200 }, { encode: async (t) => enc.encode([t])[0]!, exactLimit: 100_000 });
      expect(Array.from(ranked[i]!, (r) => ctx.catalog.ids[r]!)).toEqual(served.hits.map((h) => idx.ids[h.row]!));
    }
  }, 120_000);
});
