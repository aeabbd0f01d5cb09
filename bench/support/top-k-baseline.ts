// The one-query exact scan core served with before issue #11 (core/top-k-heap.ts at da9c4e8),
// frozen here only as bench/top-k.ts's baseline: four partial sums across the dimensions and a
// float32 heap. Nothing outside the bench may use it.

/** A bounded min-heap of the k best (row, score) pairs, scores kept as float32. */
class BaselineHeap {
  private readonly rows: Uint32Array;
  private readonly scores: Float32Array;
  size = 0;
  constructor(readonly k: number) {
    this.rows = new Uint32Array(k);
    this.scores = new Float32Array(k);
  }

  /** Offer a candidate; kept if it beats the current k-th best. */
  push(row: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (this.scores[p]! <= score) break;
        this.rows[i] = this.rows[p]!;
        this.scores[i] = this.scores[p]!;
        i = p;
      }
      this.rows[i] = row;
      this.scores[i] = score;
      return;
    }
    if (score <= this.scores[0]!) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.k) break;
      const r = l + 1;
      const c = r < this.k && this.scores[r]! < this.scores[l]! ? r : l;
      if (this.scores[c]! >= score) break;
      this.rows[i] = this.rows[c]!;
      this.scores[i] = this.scores[c]!;
      i = c;
    }
    this.rows[i] = row;
    this.scores[i] = score;
  }

  /** The kept pairs, best first (ties by lower row for determinism). */
  sorted(): { row: number; score: number }[] {
    const out: { row: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ row: this.rows[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.row - b.row);
  }
}

/** Inner product of `q` with row `row` of a flat row-major matrix of width `dim`. */
function dotRow(vectors: Float32Array, row: number, q: Float32Array, dim: number): number {
  let s = 0;
  const o = row * dim;
  let d = 0;
  // Unrolled by 4: V8 keeps the four partial sums in registers.
  let s1 = 0,
    s2 = 0,
    s3 = 0;
  for (; d + 3 < dim; d += 4) {
    s += vectors[o + d]! * q[d]!;
    s1 += vectors[o + d + 1]! * q[d + 1]!;
    s2 += vectors[o + d + 2]! * q[d + 2]!;
    s3 += vectors[o + d + 3]! * q[d + 3]!;
  }
  for (; d < dim; d++) s += vectors[o + d]! * q[d]!;
  return s + s1 + s2 + s3;
}

/** The old exact top-k by inner product over `rows` (all rows when null). */
export function baselineTopK(vectors: Float32Array, dim: number, q: Float32Array, k: number, rows: Uint32Array | null, n: number): { row: number; score: number }[] {
  const heap = new BaselineHeap(k);
  if (rows) for (let i = 0; i < rows.length; i++) heap.push(rows[i]!, dotRow(vectors, rows[i]!, q, dim));
  else for (let r = 0; r < n; r++) heap.push(r, dotRow(vectors, r, q, dim));
  return heap.sorted();
}
