// The popularity prior (DESIGN §6): how much each item is clicked in the training log, as one value
// in [0, 1] per catalog row. Among items equally relevant to a query, shoppers click the popular
// ones more; neither channel sees that, and on both datasets ordering judged-equal items by their
// training clicks lifts unseen-pair Recall@10 (QUALITY.md, the ceiling rows). The blend mixes it in
// with a weight fitted per release (blend-fit.ts); an item with no training click scores 0.

/**
 * Popularity of n rows from click-log rows: log(1 + clicks on the row) / log(1 + the most clicks on
 * any row). `rows[i]` is the catalog row of click-log row i and `clicks[i]` its click count (a row
 * with 0 or no count counts once, as training weighs it). The log keeps a head item from drowning
 * every other one; all zeros without clicks.
 */
export function popularityOf(rows: ArrayLike<number>, clicks: ArrayLike<number>, n: number): Float32Array {
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
  for (let r = 0; r < n; r++) out[r] = Math.log1p(sum[r]!) / norm;
  return out;
}
