// Exact top-K by brute-force inner product: the ground truth eval scores against (and the yardstick
// for ANN recall). Blocked so an item vector is loaded once per block of queries, and a bounded
// min-heap per query keeps selection at O(n log K) with most scores rejected by one comparison.

/** Inputs of exactTopK. */
export interface ExactTopKOptions {
  /** Item vectors, n × dim, row-major. */
  items: Float32Array;
  /** Query vectors, m × dim, row-major. */
  queries: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** Results per query (capped at the number of items). */
  k: number;
  /** Queries scored together per pass over the items (default 16). */
  queryBlock?: number;
  /** Items per block, sized so a block stays in cache (default 256). */
  itemBlock?: number;
}

/** Rankings plus their scores, one row of `k` per query. */
export interface TopKResult {
  /** Per query: item rows, best first (views into one buffer). */
  rows: Int32Array[];
  /** Per query: the matching inner products. */
  scores: Float32Array[];
  /** Results per query (min(k, items)). */
  k: number;
}

/** Exact top-K item rows per query by inner product; ties go to the lower row. */
export function exactTopK(opts: ExactTopKOptions): TopKResult {
  const { items, queries, dim } = opts;
  if (!(dim > 0) || items.length % dim !== 0 || queries.length % dim !== 0) {
    throw new RangeError(`vector buffers (${items.length}, ${queries.length}) are not multiples of dim ${dim}`);
  }
  const n = items.length / dim;
  const m = queries.length / dim;
  const k = Math.max(0, Math.min(Math.floor(opts.k), n));
  const qb = Math.max(1, opts.queryBlock ?? 16);
  const ib = Math.max(1, opts.itemBlock ?? 256);
  const heapS = new Float32Array(m * k);
  const heapI = new Int32Array(m * k);
  const size = new Int32Array(m);
  const block = new Float32Array(qb * ib);
  if (k > 0) {
    for (let q0 = 0; q0 < m; q0 += qb) {
      const q1 = Math.min(m, q0 + qb);
      for (let i0 = 0; i0 < n; i0 += ib) {
        const i1 = Math.min(n, i0 + ib);
        const w = i1 - i0;
        for (let i = i0; i < i1; i++) {
          const io = i * dim;
          for (let q = q0; q < q1; q++) block[(q - q0) * w + (i - i0)] = dot(items, io, queries, q * dim, dim);
        }
        for (let q = q0; q < q1; q++) {
          const base = q * k;
          const bo = (q - q0) * w;
          for (let j = 0; j < w; j++) {
            const s = block[bo + j]!;
            const row = i0 + j;
            // Rows arrive in increasing order, so an equal score never beats the root (lower row wins ties).
            if (size[q]! < k) heapPush(heapS, heapI, base, size[q]!++, s, row);
            else if (s > heapS[base]!) heapReplaceRoot(heapS, heapI, base, k, s, row);
          }
        }
      }
    }
  }
  const rows: Int32Array[] = [];
  const scores: Float32Array[] = [];
  const order = new Int32Array(k);
  for (let q = 0; q < m; q++) {
    const base = q * k;
    for (let j = 0; j < k; j++) order[j] = j;
    order.sort((a, b) => heapS[base + b]! - heapS[base + a]! || heapI[base + a]! - heapI[base + b]!);
    const r = heapI.subarray(base, base + k);
    const s = heapS.subarray(base, base + k);
    const rs = Int32Array.from(order, (j) => r[j]!);
    const ss = Float32Array.from(order, (j) => s[j]!);
    r.set(rs);
    s.set(ss);
    rows.push(r);
    scores.push(s);
  }
  return { rows, scores, k };
}

/** Inner product of a[ao..ao+dim) and b[bo..bo+dim), unrolled by 4. */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += a[ao + d]! * b[bo + d]!;
    s1 += a[ao + d + 1]! * b[bo + d + 1]!;
    s2 += a[ao + d + 2]! * b[bo + d + 2]!;
    s3 += a[ao + d + 3]! * b[bo + d + 3]!;
  }
  for (; d < dim; d++) s0 += a[ao + d]! * b[bo + d]!;
  return s0 + s1 + s2 + s3;
}

/** Whether entry x is worse than entry y: lower score, or equal score and higher row. */
function worse(hs: Float32Array, hi: Int32Array, x: number, y: number): boolean {
  return hs[x]! < hs[y]! || (hs[x] === hs[y] && hi[x]! > hi[y]!);
}

function swap(hs: Float32Array, hi: Int32Array, x: number, y: number): void {
  const s = hs[x]!;
  hs[x] = hs[y]!;
  hs[y] = s;
  const i = hi[x]!;
  hi[x] = hi[y]!;
  hi[y] = i;
}

/** Min-heap push (root = worst kept entry). */
function heapPush(hs: Float32Array, hi: Int32Array, base: number, len: number, s: number, row: number): void {
  let c = len;
  hs[base + c] = s;
  hi[base + c] = row;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if (!worse(hs, hi, base + c, base + p)) break;
    swap(hs, hi, base + c, base + p);
    c = p;
  }
}

/** Replace the root with a better entry and sift it down. */
function heapReplaceRoot(hs: Float32Array, hi: Int32Array, base: number, len: number, s: number, row: number): void {
  hs[base] = s;
  hi[base] = row;
  let p = 0;
  for (;;) {
    const l = 2 * p + 1;
    if (l >= len) break;
    const r = l + 1;
    const c = r < len && worse(hs, hi, base + r, base + l) ? r : l;
    if (!worse(hs, hi, base + c, base + p)) break;
    swap(hs, hi, base + c, base + p);
    p = c;
  }
}
