// Offline retrieval metrics on precomputed rankings (seed 001 §4.1 eq. 4–6, seed 003): pure
// functions, no TF. Every metric is a per-query value averaged over the queries it is defined for;
// a metric no query qualifies for is null rather than a misleading 0.

/** The cut-offs DESIGN §8 reports. */
export const DEFAULT_KS: readonly number[] = [10, 50, 100, 200];

/** One evaluated query: what the model returned and what the held-out log says is right. */
export interface EvalQuery {
  /** Item rows, best first (length ≥ the largest K, or the whole catalog when smaller). */
  ranking: ArrayLike<number>;
  /** Rows clicked for this query in the held-out log (the target set of eq. 4). */
  targets: ReadonlySet<number>;
  /** Graded relevance by item row (judgments); absent = the query is unjudged. */
  grades?: ReadonlyMap<number, number>;
  /** Intent category; absent = the most frequent category among the targets. */
  intentCategory?: string | null;
  /** Which retrieved rows count toward relevance rate and category consistency (slices; default all). */
  counted?: (row: number) => boolean;
}

/** A subset to report beside "overall". */
export interface Slice {
  /** Label shown in the report, e.g. "title omits attribute". */
  name: string;
  /** Keep only queries this accepts (by index in the input; default all). */
  query?: (q: number) => boolean;
  /**
   * Keep only (query, item) pairs this accepts: it restricts targets and judged items (recall, hit
   * rate, NDCG) and the retrieved items counted by relevance rate and category consistency.
   */
  item?: (q: number, row: number) => boolean;
  /**
   * Rows taken out of the ranking before scoring ("filtered" evaluation): e.g. items the query was
   * clicked on in training, so ranking those known positives first neither helps nor hurts the
   * score of the held-out ones.
   */
  exclude?: (q: number, row: number) => boolean;
}

/** What evaluateRankings scores. */
export interface EvaluateInput {
  /** One entry per distinct eval query. */
  queries: readonly EvalQuery[];
  /** Category of every item row (null when absent); needed for category consistency. */
  itemCategories?: readonly (string | null)[];
  /** Cut-offs (default DEFAULT_KS). */
  ks?: readonly number[];
  /** Slices to score beside overall. */
  slices?: readonly Slice[];
}

/** All metrics for one set of queries. Maps are keyed by K. */
export interface MetricSet {
  /** Queries with ≥ 1 target (the denominator of recall and hit rate). */
  queries: number;
  /** Recall@K (eq. 4). */
  recall: Record<number, number | null>;
  /** HitRate@K: share of queries with ≥ 1 target in the top K. */
  hitRate: Record<number, number | null>;
  /** NDCG@10, graded from judgments where the query has them, binary from targets otherwise. */
  ndcg10: number | null;
  /** Relevance rate@K (eq. 5, judgments as the relevance model); null without judgments. */
  relevance: Record<number, number | null>;
  /** Category consistency@K (eq. 6); null without categories. */
  categoryConsistency: Record<number, number | null>;
}

/** Metrics overall and per slice, for one model/variant. */
export interface MetricsTable {
  /** Cut-offs used. */
  ks: number[];
  /** Every query. */
  overall: MetricSet;
  /** By slice name. */
  slices: Record<string, MetricSet>;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Distinct rows of the top k (a ranking with repeats never counts an item twice). */
function topK(ranking: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < ranking.length && out.length < k; i++) {
    const r = ranking[i]!;
    if (!seen.has(r)) {
      seen.add(r);
      out.push(r);
    }
  }
  return out;
}

/** Recall@K (seed 001 eq. 4): per query |top-K ∩ targets| / |targets|, averaged over queries with targets. */
export function recallAtK(queries: readonly EvalQuery[], k: number): number | null {
  const per: number[] = [];
  for (const q of queries) {
    if (q.targets.size === 0) continue;
    per.push(topK(q.ranking, k).filter((r) => q.targets.has(r)).length / q.targets.size);
  }
  return mean(per);
}

/** HitRate@K: share of queries (with targets) that have ≥ 1 target in the top K. */
export function hitRateAtK(queries: readonly EvalQuery[], k: number): number | null {
  const per: number[] = [];
  for (const q of queries) {
    if (q.targets.size === 0) continue;
    per.push(topK(q.ranking, k).some((r) => q.targets.has(r)) ? 1 : 0);
  }
  return mean(per);
}

/** Positive grades of a query: its judgments when it has any, else 1 for each target. */
function gainsOf(q: EvalQuery): Map<number, number> {
  const graded = new Map<number, number>();
  for (const [row, g] of q.grades ?? []) if (g > 0) graded.set(row, g);
  if (graded.size > 0) return graded;
  return new Map([...q.targets].map((r) => [r, 1]));
}

/** NDCG@k with gain 2^grade − 1 and discount log2(rank + 1); ideal DCG from the judged (or target) items. */
export function ndcgAtK(queries: readonly EvalQuery[], k = 10): number | null {
  const per: number[] = [];
  for (const q of queries) {
    const gains = gainsOf(q);
    if (gains.size === 0) continue;
    const gain = (g: number) => 2 ** g - 1;
    let dcg = 0;
    topK(q.ranking, k).forEach((r, i) => (dcg += gain(gains.get(r) ?? 0) / Math.log2(i + 2)));
    const ideal = [...gains.values()].sort((a, b) => b - a).slice(0, k);
    const idcg = ideal.reduce((s, g, i) => s + gain(g) / Math.log2(i + 2), 0);
    per.push(dcg / idcg);
  }
  return mean(per);
}

/** NDCG@10 (see ndcgAtK). */
export function ndcgAt10(queries: readonly EvalQuery[]): number | null {
  return ndcgAtK(queries, 10);
}

/**
 * Relevance rate@K (seed 001 eq. 5) with judgments as the relevance model: per judged query, the
 * share of its (counted) top-K items with grade > 0, averaged. Unjudged queries are skipped.
 */
export function relevanceRate(queries: readonly EvalQuery[], k: number): number | null {
  const per: number[] = [];
  for (const q of queries) {
    if (!q.grades || q.grades.size === 0) continue;
    const counted = q.counted ? topK(q.ranking, k).filter(q.counted) : topK(q.ranking, k);
    if (counted.length === 0) continue;
    per.push(counted.filter((r) => (q.grades!.get(r) ?? 0) > 0).length / counted.length);
  }
  return mean(per);
}

/** The most frequent category among the targets (ties: the smallest string, so runs are repeatable). */
export function intentCategoryOf(targets: Iterable<number>, itemCategories: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const r of targets) {
    const c = itemCategories[r];
    if (c != null) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestN = 0;
  for (const [c, n] of counts) if (n > bestN || (n === bestN && best !== null && c < best)) [best, bestN] = [c, n];
  return best;
}

/**
 * Category consistency@K (seed 001 eq. 6): per query, the share of its (counted) top-K items whose
 * category equals the query's intent category, averaged over queries that have one.
 */
export function categoryConsistency(queries: readonly EvalQuery[], itemCategories: readonly (string | null)[], k: number): number | null {
  const per: number[] = [];
  for (const q of queries) {
    const intent = q.intentCategory !== undefined ? q.intentCategory : intentCategoryOf(q.targets, itemCategories);
    if (intent == null) continue;
    const counted = q.counted ? topK(q.ranking, k).filter(q.counted) : topK(q.ranking, k);
    if (counted.length === 0) continue;
    per.push(counted.filter((r) => itemCategories[r] === intent).length / counted.length);
  }
  return mean(per);
}

/** Every metric for one list of queries. */
export function metricSet(queries: readonly EvalQuery[], ks: readonly number[], itemCategories?: readonly (string | null)[]): MetricSet {
  const byK = (f: (k: number) => number | null) => Object.fromEntries(ks.map((k) => [k, f(k)])) as Record<number, number | null>;
  return {
    queries: queries.filter((q) => q.targets.size > 0).length,
    recall: byK((k) => recallAtK(queries, k)),
    hitRate: byK((k) => hitRateAtK(queries, k)),
    ndcg10: ndcgAt10(queries),
    relevance: byK((k) => relevanceRate(queries, k)),
    categoryConsistency: byK((k) => (itemCategories ? categoryConsistency(queries, itemCategories, k) : null)),
  };
}

/** Restrict queries to a slice: drop rejected queries, filter targets, grades and counted items. */
export function applySlice(queries: readonly EvalQuery[], slice: Slice, itemCategories?: readonly (string | null)[]): EvalQuery[] {
  const out: EvalQuery[] = [];
  queries.forEach((q, qi) => {
    if (slice.query && !slice.query(qi)) return;
    const keep = slice.item;
    const drop = slice.exclude;
    const ranking = drop ? Array.from(q.ranking).filter((r) => !drop(qi, r)) : q.ranking;
    if (!keep) return void out.push(drop ? { ...q, ranking } : q);
    const grades = q.grades && new Map([...q.grades].filter(([r]) => keep(qi, r)));
    const prev = q.counted;
    out.push({
      ranking,
      targets: new Set([...q.targets].filter((r) => keep(qi, r))),
      ...(grades ? { grades } : {}),
      // The intent category comes from all the query's clicks, not only the sliced ones.
      intentCategory: q.intentCategory !== undefined ? q.intentCategory : itemCategories ? intentCategoryOf(q.targets, itemCategories) : null,
      counted: prev ? (r) => prev(r) && keep(qi, r) : (r) => keep(qi, r),
    });
  });
  return out;
}

/** Score rankings: every metric for every K, overall and for each slice. */
export function evaluateRankings(input: EvaluateInput): MetricsTable {
  const ks = [...(input.ks ?? DEFAULT_KS)].sort((a, b) => a - b);
  const slices: Record<string, MetricSet> = {};
  for (const s of input.slices ?? []) slices[s.name] = metricSet(applySlice(input.queries, s, input.itemCategories), ks, input.itemCategories);
  return { ks, overall: metricSet(input.queries, ks, input.itemCategories), slices };
}
