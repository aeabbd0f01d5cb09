import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importData } from "../../ingest/index.ts";
import { candidateIndex, hashBaselineVectors, loadEvalContext, scoreIndex, SLICES, type EvalContext, type ModelVectors } from "../eval/eval-context.ts";
import { decide, metricValue } from "./eval-gate.ts";

// A shop where clicks and titles disagree, as in a real log: for each query, 4 items were clicked
// in training although their titles never say the query's word, and 2 items whose titles do say it
// were clicked only in the held-out log. A model that memorised the training clicks wins on the
// held-out pairs it has seen and knows nothing of the unseen ones; the hash encoder reads titles.
const QUERIES = 30;
const WORDS = Array.from({ length: QUERIES }, (_, q) => `${"bcdfghjklmnpqrstvwz"[q % 19]}${"aeiou"[q % 5]}${"bcdfghjklmnpqrstvwz"[(q * 7 + 3) % 19]}${"aeiou"[(q + 2) % 5]}x${q}`);
const FILLER = ["gadget", "widget", "gizmo", "doohickey", "contraption", "device", "apparatus", "tool"];

let dir: string;
let ctx: EvalContext;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-gate-"));
  const items: object[] = [];
  const train: object[] = [];
  const held: object[] = [];
  for (let q = 0; q < QUERIES; q++) {
    for (let j = 0; j < 6; j++) {
      const id = `q${q}-${j}`;
      const seen = j < 4;
      items.push({ id, title: seen ? `${FILLER[(q + j) % FILLER.length]} model ${q * 6 + j}` : `${WORDS[q]} ${FILLER[j]} ${q}`, brand: "B", category: "C" });
      if (seen) for (let r = 0; r < 3; r++) train.push({ query: WORDS[q], item_id: id });
      // The held-out log repeats the seen pairs (as logs do) and adds the unseen ones.
      held.push({ query: WORDS[q], item_id: id });
      if (seen) held.push({ query: WORDS[q], item_id: id });
    }
  }
  const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n");
  await writeFile(join(dir, "catalog.jsonl"), jsonl(items));
  await writeFile(join(dir, "clicks.jsonl"), jsonl(train));
  await writeFile(join(dir, "eval.jsonl"), jsonl(held));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), evalClicks: join(dir, "eval.jsonl"), out: data, images: false });
  ctx = await loadEvalContext(data);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An item-ID memoriser: each item its own axis; a query points at the items it was clicked on in training. */
function memoriser(c: EvalContext): ModelVectors {
  const n = c.data.items.ids.length;
  const items = new Float32Array(n * n);
  for (let r = 0; r < n; r++) items[r * n + r] = 1;
  const clicked = new Map<string, number[]>();
  c.data.pairs.query.forEach((t, i) => clicked.set(t, [...new Set([...(clicked.get(t) ?? []), c.data.pairs.item[i]!])]));
  const encode = async (ts: readonly string[]) =>
    ts.map((t) => {
      const v = new Float32Array(n);
      const rows = clicked.get(t) ?? [];
      for (const r of rows) v[r] = 1 / Math.sqrt(rows.length);
      return v;
    });
  return { items, dim: n, encode };
}

describe("the retrain gate", () => {
  it("refuses a memorising model that the old gate (all held-out pairs) would have published", async () => {
    expect(ctx.unseenPairs).toBeGreaterThanOrEqual(20);
    // Both served by their vector channel alone: the lexical channel would rescue the memoriser here.
    const mem = memoriser(ctx);
    const hash = hashBaselineVectors(ctx);
    const vectorsOnly = { blend: { method: "convex" as const, weight: 1 }, lexical: false };
    const cand = (await scoreIndex(ctx, "memoriser", (await candidateIndex(ctx, mem, vectorsOnly)).index, mem.encode)).variant.metrics;
    const act = (await scoreIndex(ctx, "hash", (await candidateIndex(ctx, hash, vectorsOnly)).index, hash.encode)).variant.metrics;

    // What the old gate looked at (every held-out pair, mostly seen): the memoriser looks better.
    expect(metricValue(cand.overall, "recall@10")).toBeGreaterThan(metricValue(act.overall, "recall@10") + 0.2);
    expect(metricValue(cand.slices[SLICES.seen]!, "ndcg@10")).toBeGreaterThan(metricValue(act.slices[SLICES.seen]!, "ndcg@10") + 0.3);
    // On pairs training never saw, it is far worse, and the gate says no.
    const g = decide(cand, act, { candidate: "r002", active: "r001" }, ctx.unseenPairs, { tolerance: 0.01, minPairs: 20 });
    expect(g.passed).toBe(false);
    expect(g.slice).toBe("unseen pairs");
    expect(g.checks.map((c) => [c.metric, c.passed])).toEqual([
      ["ndcg@10", false],
      ["recall@100", false],
    ]);
    expect(g.checks[0]!.candidate).toBeLessThan(g.checks[0]!.active! - 0.3);
    expect(g.message).toMatch(/refused \(ndcg@10 and recall@100 fell/);

    // The honest model passes against itself, and --force publishes a refused one, on the record.
    expect(decide(act, act, { candidate: "r002", active: "r001" }, ctx.unseenPairs, { tolerance: 0, minPairs: 20 }).passed).toBe(true);
    expect(decide(cand, act, { candidate: "r002", active: "r001" }, ctx.unseenPairs, { tolerance: 0.01, minPairs: 20, force: true })).toMatchObject({ passed: false, forced: true });
  });

  it("does not decide on too few unseen pairs, and passes when nothing is active", () => {
    const m = { ks: [10], overall: { queries: 1, recall: { 10: 1, 100: 1 }, hitRate: {}, ndcg10: 1, relevance: {}, categoryConsistency: {} }, slices: {} };
    const few = decide(m, m, { candidate: "r002", active: "r001" }, 12, { tolerance: 0.01 });
    expect(few).toMatchObject({ passed: false, forced: false, pairs: 12 });
    expect(few.message).toMatch(/only 12 unseen held-out pairs \(fewer than 30\)/);
    expect(decide(m, null, { candidate: "r001", active: null }, 3, { tolerance: 0.01 })).toMatchObject({ passed: true, activeRelease: null });
  });
});
