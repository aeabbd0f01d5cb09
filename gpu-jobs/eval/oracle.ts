// Ceiling rows of an eval report: rankings that know the judgments. On a catalog where a query
// has hundreds of equally relevant items (fashion-mnist's type queries), which of them a shopper
// clicked is decided by popularity, not relevance, so Recall@10 there measures how equally
// relevant items are ordered. These rows show how far judged relevance alone reaches, and how much
// ordering ties by training clicks (popularity) adds, so a model's Recall@K can be read against them.
import { popularityOf, stream } from "../../core/index.ts";
import { EVAL_TOP_K, scoreRankings, type EvalContext } from "./eval-context.ts";
import type { JudgmentInput } from "./eval-queries.ts";
import type { VariantResult } from "./report.ts";
import { meanMetrics } from "./seed-summary.ts";

/** How judged items of equal grade are ordered. */
export type OracleTies = "random" | "clicks";

/** Options of oracleRankings. */
export interface OracleRankingOptions {
  /** Eval queries as canonical terms. */
  queries: readonly string[];
  /** Graded judgments (> 0 = relevant). */
  judgments: readonly JudgmentInput[];
  /** Item id of every row. */
  itemIds: readonly string[];
  /** Length of each ranking. */
  k: number;
  /** Order of items of equal grade: seeded random, or by training clicks (then random). */
  ties: OracleTies;
  /** Training click weight per row; needed for ties "clicks". */
  clicks?: ArrayLike<number>;
  /** Seed of the random order (default 1). */
  seed?: number;
}

/**
 * Per query: the judged-relevant items by grade (ties as asked), then unjudged items in random
 * order up to k. Unknown item ids in the judgments are ignored.
 */
export function oracleRankings(opts: OracleRankingOptions): Int32Array[] {
  const n = opts.itemIds.length;
  if (opts.ties === "clicks" && opts.clicks?.length !== n) throw new RangeError(`ties "clicks" needs a click weight per item (${n}), got ${opts.clicks?.length ?? "none"}`);
  const rowOf = new Map(opts.itemIds.map((id, i) => [id, i]));
  const grades = new Map<string, Map<number, number>>();
  for (const j of opts.judgments) {
    const row = rowOf.get(j.item_id);
    if (row === undefined || !(j.grade > 0)) continue;
    let g = grades.get(j.terms);
    if (!g) grades.set(j.terms, (g = new Map()));
    g.set(row, Math.max(g.get(row) ?? 0, j.grade));
  }
  const rng = stream(opts.seed ?? 1, "eval-oracle");
  const k = Math.min(opts.k, n);
  const all = Array.from({ length: n }, (_, i) => i);
  return opts.queries.map((terms) => {
    // One random order per query: it breaks the ties left and fills the list after the judged items.
    const order = rng.shuffle(all);
    const rank = new Int32Array(n);
    order.forEach((row, i) => void (rank[row] = i));
    const g = grades.get(terms) ?? new Map<number, number>();
    const clicks = opts.ties === "clicks" ? opts.clicks! : null;
    const judged = [...g.keys()].sort((a, b) => g.get(b)! - g.get(a)! || (clicks ? clicks[b]! - clicks[a]! : 0) || rank[a]! - rank[b]!);
    const out = new Int32Array(k);
    let m = 0;
    for (const row of judged) if (m < k) out[m++] = row;
    for (const row of order) {
      if (m >= k) break;
      if (!g.has(row)) out[m++] = row;
    }
    return out;
  });
}

/** Random orders the "ties random" ceiling averages: one draw moves fashion-mnist's unseen Recall@10 by ±3 points. */
export const ORACLE_RANDOM_ORDERS = 5;

/** Row names of the ceiling rows. */
export const ORACLE_ROWS = {
  random: `ceiling: judged relevance, ties random (mean of ${ORACLE_RANDOM_ORDERS} orders)`,
  clicks: "ceiling: judged relevance, ties by training clicks",
} as const;

/** Both ceiling rows, scored like any variant (ties random: the expected value over several orders); none when the eval has no judgments. */
export function oracleVariants(ctx: EvalContext): VariantResult[] {
  if (ctx.judgments.length === 0) return [];
  // Ties ordered as the training click weights are, a never-clicked item last (the raw order, not
  // the served prior's neutral floor): the most the click log can add to judged relevance.
  const clicks = popularityOf(ctx.data.pairs.item, ctx.data.pairs.weight, ctx.data.items.ids.length, { unclicked: "zero" });
  const base = { queries: ctx.queries, judgments: ctx.judgments, itemIds: ctx.data.items.ids, k: EVAL_TOP_K, clicks };
  const draws = Array.from({ length: ORACLE_RANDOM_ORDERS }, (_, d) => scoreRankings(ctx, ORACLE_ROWS.random, oracleRankings({ ...base, ties: "random", seed: 1 + d })).metrics);
  return [{ name: ORACLE_ROWS.random, metrics: meanMetrics(draws) }, scoreRankings(ctx, ORACLE_ROWS.clicks, oracleRankings({ ...base, ties: "clicks", seed: 1 }))];
}
