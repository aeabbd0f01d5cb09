// Glue from what the jobs hold (held-out pairs, rankings, judgment rows) to metric inputs.
import type { EvalQuery } from "../../core/index.ts";

/** One graded judgment, keyed like the judgments table (canonical terms). */
export interface JudgmentInput {
  /** Canonical terms of the query. */
  terms: string;
  /** Judged item id. */
  item_id: string;
  /** Grade (> 0 = relevant). */
  grade: number;
}

/** Options of buildEvalQueries. */
export interface BuildEvalQueriesOptions {
  /** Distinct eval queries as canonical terms (e.g. queryTargets(evalPairs).queries). */
  queries: readonly string[];
  /** Clicked rows per query, same order. */
  targets: readonly ReadonlySet<number>[];
  /** Ranked rows per query, same order (e.g. exactTopKBatch(...).rows). */
  rankings: readonly ArrayLike<number>[];
  /** Item id of every row (to resolve judgments). */
  itemIds: readonly string[];
  /** Graded judgments; queries with none stay unjudged. Unknown items are ignored. */
  judgments?: readonly JudgmentInput[];
}

/** Zip queries, targets, rankings and judgments into EvalQuery rows. */
export function buildEvalQueries(opts: BuildEvalQueriesOptions): EvalQuery[] {
  if (opts.targets.length !== opts.queries.length || opts.rankings.length !== opts.queries.length) {
    throw new RangeError(`queries (${opts.queries.length}), targets (${opts.targets.length}) and rankings (${opts.rankings.length}) differ in length`);
  }
  const rowOf = new Map(opts.itemIds.map((id, i) => [id, i]));
  const grades = new Map<string, Map<number, number>>();
  for (const j of opts.judgments ?? []) {
    const row = rowOf.get(j.item_id);
    if (row === undefined) continue;
    let g = grades.get(j.terms);
    if (!g) grades.set(j.terms, (g = new Map()));
    // A pair judged twice keeps its highest grade.
    g.set(row, Math.max(g.get(row) ?? -Infinity, j.grade));
  }
  return opts.queries.map((q, i) => {
    const g = grades.get(q);
    return { ranking: opts.rankings[i]!, targets: opts.targets[i]!, ...(g ? { grades: g } : {}) };
  });
}
