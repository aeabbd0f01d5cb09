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
        scoreBlock(items, i0, w, queries, q0, q1 - q0, dim, block);
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

/** Scores of items [i0, i0+w) × queries [q0, q0+nq) into out[q * w + i]: 2×4 register tiles, scalar tails. */
function scoreBlock(items: Float32Array, i0: number, w: number, queries: Float32Array, q0: number, nq: number, dim: number, out: Float32Array): void {
  const w2 = w - (w % 2);
  const nq4 = nq - (nq % 4);
  for (let i = 0; i < w2; i += 2) {
    for (let q = 0; q < nq4; q += 4) tile2x4(items, (i0 + i) * dim, queries, (q0 + q) * dim, dim, out, q * w + i, w);
    for (let q = nq4; q < nq; q++) {
      out[q * w + i] = dot(items, (i0 + i) * dim, queries, (q0 + q) * dim, dim);
      out[q * w + i + 1] = dot(items, (i0 + i + 1) * dim, queries, (q0 + q) * dim, dim);
    }
  }
  for (let i = w2; i < w; i++) for (let q = 0; q < nq; q++) out[q * w + i] = dot(items, (i0 + i) * dim, queries, (q0 + q) * dim, dim);
}

/** Two items × four queries at once: each loaded value feeds four (or two) products, about 2× a plain dot. */
function tile2x4(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number, o: Float32Array, oo: number, stride: number): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0; // prettier-ignore
  const a1 = ao + dim;
  const b1 = bo + dim;
  const b2 = bo + 2 * dim;
  const b3 = bo + 3 * dim;
  for (let d = 0; d < dim; d++) {
    const x = a[ao + d]!;
    const y = a[a1 + d]!;
    const c0 = b[bo + d]!;
    const c1 = b[b1 + d]!;
    const c2 = b[b2 + d]!;
    const c3 = b[b3 + d]!;
    s0 += x * c0;
    s1 += x * c1;
    s2 += x * c2;
    s3 += x * c3;
    t0 += y * c0;
    t1 += y * c1;
    t2 += y * c2;
    t3 += y * c3;
  }
  o[oo] = s0;
  o[oo + stride] = s1;
  o[oo + 2 * stride] = s2;
  o[oo + 3 * stride] = s3;
  o[oo + 1] = t0;
  o[oo + 1 + stride] = t1;
  o[oo + 1 + 2 * stride] = t2;
  o[oo + 1 + 3 * stride] = t3;
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
