// Fitting the channel blend per release on held-out clicks (DESIGN §6), and the precomputed qid
// lists that serve with it. A fixed blend loses on some shops (lexical wins the top of the list
// where titles hold the query's words, vectors where titles are sparse), so the weight is chosen
// on the tuning half of the held-out pairs; the other half stays for evaluation and the gate.
import { BLEND_GRID, fuse, type Blend, type BlendMethod, type ScoredRow } from "./fusion.ts";
import { understandQuery } from "./lexicon.ts";
import { ndcgAt10, recallAtK, type EvalQuery } from "./metrics.ts";
import { liveChannels, liveSearchBatch, LIVE_DEPTH, type QidList, type SearchIndex } from "./retrieve-engine.ts";

/** Weight used when there is nothing to fit on (no lexical channel aside, an even split). */
export const DEFAULT_BLEND: Blend = { method: "convex", weight: 0.5 };

/** Fewer tuning queries than this and the default blend is kept. */
export const MIN_TUNING_QUERIES = 10;

/** One tuning query: canonical terms and the rows its held-out clicks chose. */
export interface TuningQuery {
  /** Canonical terms. */
  terms: string;
  /** Clicked rows. */
  targets: ReadonlySet<number>;
  /** Rows clicked for these terms in the training log, left out of the ranking before it is scored: the tuning pairs are unseen pairs, and the eval's unseen-pair slice (which the gate decides on) leaves them out the same way. */
  seen?: ReadonlySet<number>;
}

/** How one grid weight scored. */
export interface BlendGridPoint {
  /** Vector-channel weight. */
  weight: number;
  /** Mean NDCG@10 over the tuning queries. */
  ndcg10: number;
  /** Mean Recall@100. */
  recall100: number;
}

/** How one popularity-prior weight scored, at the fitted vector weight. */
export interface PriorGridPoint {
  /** Popularity-prior weight. */
  prior: number;
  /** Mean NDCG@10 over the tuning queries. */
  ndcg10: number;
  /** Mean Recall@100. */
  recall100: number;
}

/** The popularity-prior weights a blend is fitted over: 0, 0.1, …, 0.5 (more lets clicks outvote relevance). */
export const PRIOR_GRID: readonly number[] = Object.freeze(Array.from({ length: 6 }, (_, i) => i / 10));

/**
 * The prior weight the fit keeps unless the tuning queries tell otherwise. 0.3, not 0: centred
 * there the fit raised the test half's mean unseen Recall@10 on every fashion-mnist and demo row
 * (paired, 5 + 3 seeds) at ≤ 0.7 points of judged NDCG@10; centred on 0 it left the prior off on a
 * third of the fashion-mnist runs (QUALITY.md, "The fit's centre").
 */
export const PRIOR_CENTER = 0.3;

/** The fitted blend and the evidence for it (stored with the release). */
export interface BlendFit {
  /** The blend chosen. */
  blend: Blend;
  /** Tuning queries it was fitted on. */
  queries: number;
  /** Every weight tried (empty when not fitted). */
  grid: BlendGridPoint[];
  /** The grid weight with the best tuning mean (the blend is the weight nearest 0.5 within one standard error of it). */
  best?: number;
  /** Why the blend was not fitted, when it was not. */
  reason?: string;
  /** Every popularity-prior weight tried at the chosen vector weight (absent when the index has no popularity). */
  priorGrid?: PriorGridPoint[];
  /** The prior weight with the best tuning mean (the blend's prior is the one nearest PRIOR_CENTER within one standard error of it). */
  priorBest?: number;
}

/** Options of fitBlend. */
export interface FitBlendOptions {
  /** Encode canonical terms to unit vectors, in order. */
  encode(terms: readonly string[]): Promise<Float32Array[]>;
  /** Exact-scan limit, as serving uses it. */
  exactLimit: number;
  /** Fusion method (default convex). */
  method?: BlendMethod;
  /** Fit the popularity prior's weight where the index has popularity (default true; false: it stays 0; QUALITY.md "The popularity prior" has the evidence). */
  prior?: boolean;
}

/**
 * Choose the vector weight on BLEND_GRID from NDCG@10 + Recall@100 on the tuning queries, each
 * ranked as serving ranks a miss (query understanding, constraints, both channels). The weight with
 * the best mean is not taken blindly: a tuning half holds a few hundred queries, and over three
 * seeds the argmax wandered (0.2–0.6 for one model) and lost to a fixed 0.5 on the test half
 * (QUALITY.md, "fitted vs fixed blends"). So the pick is the weight nearest the even split whose
 * mean is within one paired standard error of the best (the one-standard-error rule): the fit moves
 * away from 0.5 only as far as the tuning queries can tell. Ties go to the larger vector weight.
 *
 * Then, where the index has a popularity column (and `prior` is not false), the prior's weight on
 * PRIOR_GRID at that vector weight, by the same rule centred on PRIOR_CENTER: the fit moves the
 * prior off 0.3 (down to 0 where it costs) only as far as the tuning queries can tell. Without a
 * lexical channel only the prior is fitted. Never-clicked items score the median clicked one
 * (popularity.ts), so the prior does not bury them.
 */
export async function fitBlend(idx: SearchIndex, tuning: readonly TuningQuery[], opts: FitBlendOptions): Promise<BlendFit> {
  const method = opts.method ?? "convex";
  const fitPrior = (opts.prior ?? true) && idx.popularity !== null;
  // A target clicked for its query in training leaves the ranking, so it leaves the targets too (as
  // the unseen slice drops it): a split other than by pair (time, row, a given file) has such pairs.
  const queries = tuning.map((t) => (t.seen ? { ...t, targets: new Set([...t.targets].filter((r) => !t.seen!.has(r))) } : t)).filter((t) => t.targets.size > 0);
  const alone = idx.lexical ? null : "no lexical channel: vectors alone";
  if (!idx.lexical && !fitPrior) return { blend: { method, weight: 1 }, queries: queries.length, grid: [], reason: alone! };
  if (queries.length < MIN_TUNING_QUERIES) {
    const blend = idx.lexical ? { ...DEFAULT_BLEND, method } : { method, weight: 1 };
    return { blend, queries: queries.length, grid: [], reason: `${queries.length} tuning queries (< ${MIN_TUNING_QUERIES}): ${alone ?? "default blend"}${fitPrior ? ", no prior" : ""}` };
  }
  const vecs = await opts.encode(queries.map((t) => t.terms));
  const channels: { vector: ScoredRow[]; lexical: ScoredRow[] }[] = [];
  for (let i = 0; i < queries.length; i++) {
    const filter = understandQuery(idx.lexicon, queries[i]!.terms).filter;
    channels.push(await liveChannels(idx, vecs[i]!, queries[i]!.terms, filter, LIVE_DEPTH, { exactLimit: opts.exactLimit }));
  }
  // Per-query NDCG@10 + Recall@100 of one blend (paired: the same queries under each blend).
  const score = (blend: Blend) =>
    queries.map((t, i) => {
      const ranking = fuse(channels[i]!.vector, channels[i]!.lexical, blend, LIVE_DEPTH, LIVE_DEPTH, idx.popularity).map((f) => f.row);
      const q: EvalQuery[] = [{ ranking: t.seen ? ranking.filter((r) => !t.seen!.has(r)) : ranking, targets: t.targets }];
      return { ndcg10: ndcgAt10(q) ?? 0, recall100: recallAtK(q, 100) ?? 0 };
    });
  const sums = (perQuery: { ndcg10: number; recall100: number }[][]) => perQuery.map((qs) => qs.map((p) => p.ndcg10 + p.recall100));
  const means = (qs: { ndcg10: number; recall100: number }[]) => ({ ndcg10: meanOf(qs.map((p) => p.ndcg10)), recall100: meanOf(qs.map((p) => p.recall100)) });
  const fit: BlendFit = { blend: { method, weight: 1 }, queries: queries.length, grid: [] };
  if (idx.lexical) {
    const perQuery = BLEND_GRID.map((weight) => score({ method, weight }));
    const { pick, best } = pickBlendWeight(sums(perQuery), BLEND_GRID, DEFAULT_BLEND.weight);
    fit.blend = { method, weight: BLEND_GRID[pick]! };
    fit.grid = BLEND_GRID.map((weight, g) => ({ weight, ...means(perQuery[g]!) }));
    fit.best = BLEND_GRID[best]!;
  } else fit.reason = `${alone}; the prior fitted`;
  if (fitPrior) {
    const perQuery = PRIOR_GRID.map((prior) => score({ ...fit.blend, prior }));
    const { pick, best } = pickBlendWeight(sums(perQuery), PRIOR_GRID, PRIOR_CENTER);
    if (PRIOR_GRID[pick]! > 0) fit.blend = { ...fit.blend, prior: PRIOR_GRID[pick]! };
    fit.priorGrid = PRIOR_GRID.map((prior, g) => ({ prior, ...means(perQuery[g]!) }));
    fit.priorBest = PRIOR_GRID[best]!;
  }
  return fit;
}

/**
 * The one-standard-error rule over a grid: `scores[g][q]` is query q's score under weights[g]
 * (paired: the same queries under every weight). `best` is the argmax of the mean (ties → the later
 * weight); `pick` is the weight nearest `center` whose paired gap to the best is within one
 * standard error of that gap (ties → the larger weight).
 */
export function pickBlendWeight(scores: readonly (readonly number[])[], weights: readonly number[], center: number): { pick: number; best: number } {
  let best = weights.length - 1;
  for (let g = weights.length - 1; g >= 0; g--) if (meanOf(scores[g]!) > meanOf(scores[best]!) + 1e-12) best = g;
  const within = (g: number) => {
    const d = scores[g]!.map((x, i) => scores[best]![i]! - x);
    return meanOf(d) <= standardError(d) + 1e-12;
  };
  let pick = best;
  for (let g = 0; g < weights.length; g++) {
    if (!within(g)) continue;
    const dist = Math.abs(weights[g]! - center);
    const pickDist = Math.abs(weights[pick]! - center);
    if (dist < pickDist - 1e-12 || (Math.abs(dist - pickDist) <= 1e-12 && weights[g]! > weights[pick]!)) pick = g;
  }
  return { pick, best };
}

const meanOf = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Standard error of the mean (sample sd / √n); 0 for fewer than two values. */
function standardError(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = meanOf(xs);
  const v = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return Math.sqrt(v / xs.length);
}

/** Queries whose vector channels are scored together: bounds the channel lists held at once. */
const PRECOMPUTE_CHUNK = 256;

/**
 * The precomputed list of each logged query: the unconstrained live ranking (serving filters it per
 * request), exactly as `liveSearch(idx, q, terms, null, depth, { exactLimit })` ranks it, with the
 * vector channel of a chunk of queries scored in one tiled scan. `exactLimit` does not change the
 * lists: without an ANN the unconstrained vector channel is always the exact scan of all rows.
 */
export async function precomputeQidLists(
  idx: SearchIndex,
  queries: readonly { qid: number; terms: string }[],
  vectors: readonly Float32Array[],
  topK: number,
  exactLimit: number,
): Promise<{ qid: number; list: QidList }[]> {
  if (vectors.length !== queries.length) throw new RangeError(`${queries.length} queries but ${vectors.length} vectors`);
  const out: { qid: number; list: QidList }[] = [];
  const depth = Math.max(topK, LIVE_DEPTH);
  for (let s = 0; s < queries.length; s += PRECOMPUTE_CHUNK) {
    const part = queries.slice(s, s + PRECOMPUTE_CHUNK);
    const live = liveSearchBatch(
      idx,
      vectors.slice(s, s + PRECOMPUTE_CHUNK),
      part.map((q) => q.terms),
      depth,
    );
    part.forEach(({ qid, terms }, i) => {
      const top = live[i]!.fused.slice(0, topK);
      out.push({ qid, list: { terms, rows: Uint32Array.from(top, (f) => f.row), scores: Float32Array.from(top, (f) => f.score) } });
    });
  }
  return out;
}
