// The popularity prior (DESIGN §6): how much each item is clicked in the training log, as one value
// in [0, 1] per catalog row. Among items equally relevant to a query, shoppers click the popular
// ones more; neither channel sees that, and on both datasets ordering judged-equal items by their
// training clicks lifts unseen-pair Recall@10 (QUALITY.md, the ceiling rows). The blend mixes it in
// with a weight fitted per release (blend-fit.ts).
//
// An item nobody clicked in training is unknown, not unpopular: scored 0 it sank below every clicked
// item of equal relevance, and fashion-mnist's cold-item Recall@10 fell by 25 points under the
// prior. So served, it scores the median clicked item (a neutral prior), and a new item competes on
// relevance (QUALITY.md, "The popularity prior").

/** Options of {@link popularityOf}. */
export interface PopularityOptions {
  /** What a row without a training click scores: "median" of the clicked rows (default: served), or "zero" (the ceiling's raw click order). */
  unclicked?: "median" | "zero";
}

/**
 * Popularity of n rows from click-log rows: log(1 + clicks on the row) / log(1 + the most clicks on
 * any row). `rows[i]` is the catalog row of click-log row i and `clicks[i]` its click count (a row
 * with 0 or no count counts once, as training weighs it). The log keeps a head item from drowning
 * every other one; all zeros without clicks.
 */
export function popularityOf(rows: ArrayLike<number>, clicks: ArrayLike<number>, n: number, opts: PopularityOptions = {}): Float32Array {
  if (rows.length !== clicks.length) throw new RangeError(`${rows.length} click rows but ${clicks.length} counts`);
  const sum = new Float64Array(n);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < n)) throw new RangeError(`click row ${i} names row ${r}, outside [0, ${n})`);
    sum[r]! += Math.max(1, clicks[i]! || 0);
  }
  let top = 0;
  for (let r = 0; r < n; r++) if (sum[r]! > top) top = sum[r]!;
  const out = new Float32Array(n);
  if (top === 0) return out;
  const norm = Math.log1p(top);
  const clicked: number[] = [];
  for (let r = 0; r < n; r++) {
    out[r] = Math.log1p(sum[r]!) / norm;
    if (sum[r]! > 0) clicked.push(out[r]!);
  }
  if ((opts.unclicked ?? "median") === "zero" || clicked.length === n) return out;
  const floor = medianOf(clicked);
  for (let r = 0; r < n; r++) if (sum[r] === 0) out[r] = floor;
  return out;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
function medianOf(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
