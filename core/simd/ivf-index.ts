// An in-memory IVF index for the searches an exact scan is too slow for (unfiltered or unselective
// filters on large releases): spherical k-means lists over the item vectors, an int8 copy of the
// vectors in list order (contiguous per list, a quarter of the bytes), scanned with the SIMD kernel,
// the filter checked per candidate against its bitmap, and a pool of the best int8 candidates
// rescored with the exact `dot` so scores are the ones exactTopK gives. Approximate: recall is
// measured in bench/retrieve.ts per plan.
import { yieldToEventLoop } from "../lexical-index.ts";
import { mulberry32 } from "../rng.ts";
import { dot, TopKHeap, type RowScore } from "../top-k.ts";
import type { VectorKernel } from "./vector-kernel.ts";

/** Options of buildIvfIndex. */
export interface IvfBuildOptions {
  /** k-means iterations over the training sample (default 6). */
  iterations?: number;
  /** Training sample size (default 32 rows per list, at most n / 4). */
  sample?: number;
  /** Seed of the sample and the initial centroids (default 1). */
  seed?: number;
  /** The pass over every row (default oneThreadRowPass; lancedb's ivfWorkerPass runs it on worker threads). */
  rowPass?: IvfRowPass;
}

/**
 * The bulk of a build, one pass over every row of the kernel: write each row's int8 codes at
 * `scale` (Math.round(x · scale)) in row order into the kernel's code region and, when `nearest`,
 * return each row's nearest centroid of the kernel's centroid region (kernel.wasm.nearest), else
 * null. Deterministic per row, so any split of the rows gives the same result.
 */
export type IvfRowPass = (kernel: VectorKernel, scale: number, nearest: boolean) => Promise<Int32Array | null>;

/** Options of restoreIvfIndex. */
export interface IvfRestoreOptions {
  /** The pass that writes the codes (default oneThreadRowPass). */
  rowPass?: IvfRowPass;
}

/** Options of one IVF search. */
export interface IvfSearchOptions {
  /** Lists probed at least (default IVF_PROBE). */
  probe?: number;
  /** Matching candidates gathered at least before stopping, as a multiple of depth (default IVF_MATCH_FACTOR). */
  matchFactor?: number;
  /** int8 candidates rescored exactly, as a multiple of depth (default IVF_POOL_FACTOR). */
  poolFactor?: number;
}

/** Lists probed at least per search. */
export const IVF_PROBE = 24;
/** A filtered search keeps probing until it has seen this many matching rows per result wanted. */
export const IVF_MATCH_FACTOR = 16;
/** Candidates rescored exactly per result wanted. */
export const IVF_POOL_FACTOR = 3;

/**
 * Lists for n rows: about 4,000 rows per list, a power of two (256 at 1M rows). Fewer, longer lists
 * than the usual √n: assigning every row to its nearest centroid is the build's cost (n × lists
 * dot products), and a longer list costs a query little with int8 codes scanned in SIMD.
 */
export function ivfListsFor(n: number): number {
  return 2 ** Math.max(4, Math.round(Math.log2(n / 4000)));
}

/** The index: lists (rows in list order) and the int8 codes in the kernel's memory. */
export class IvfIndex {
  private readonly qs: Float32Array;
  private readonly q8: Int8Array;
  private readonly outF: Float32Array;
  private readonly outI: Int32Array;

  constructor(
    private readonly kernel: VectorKernel,
    /** Rows of list l are order[start[l] .. start[l + 1]). */
    readonly start: Uint32Array,
    readonly order: Uint32Array,
  ) {
    const buf = kernel.memory.buffer;
    this.qs = new Float32Array(buf, kernel.at.query, kernel.dim);
    this.q8 = new Int8Array(buf, kernel.at.query8, kernel.dim);
    this.outF = new Float32Array(buf, kernel.at.out, Math.max(kernel.n, kernel.lists));
    this.outI = new Int32Array(buf, kernel.at.out, Math.max(kernel.n, kernel.lists));
  }

  /** Number of lists. */
  get lists(): number {
    return this.start.length - 1;
  }

  /**
   * The best `depth` rows for q among those set in `accept` (null: every row), best first, scored
   * by `dot`. Probes lists nearest q first until it has probed `probe` lists and seen
   * matchFactor × depth matching rows (or every list).
   */
  search(q: Float32Array, depth: number, accept: Int32Array | null, opts: IvfSearchOptions = {}): RowScore[] {
    const k = this.kernel,
      dim = k.dim,
      lists = this.lists;
    const probe = Math.min(lists, opts.probe ?? IVF_PROBE);
    const needMatched = accept ? depth * (opts.matchFactor ?? IVF_MATCH_FACTOR) : 0;
    const pool = new TopKHeap(Math.max(depth, Math.ceil(depth * (opts.poolFactor ?? IVF_POOL_FACTOR))));
    this.qs.set(q);
    k.wasm.dotRange(k.at.query, k.at.cents, lists, dim, k.at.out);
    const byScore = Array.from(this.outF.subarray(0, lists));
    const listOrder = Array.from({ length: lists }, (_, i) => i).sort((a, b) => byScore[b]! - byScore[a]! || a - b);
    // q in int8 at its own scale (scores are only compared with each other).
    let max = 0;
    for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(q[j]!));
    const scale = max > 0 ? 127 / max : 0;
    for (let j = 0; j < dim; j++) this.q8[j] = Math.round(q[j]! * scale);
    const out = this.outI,
      order = this.order;
    let matched = 0;
    for (let p = 0; p < lists; p++) {
      if (p >= probe && matched >= needMatched) break;
      const l = listOrder[p]!;
      const s = this.start[l]!,
        len = this.start[l + 1]! - s;
      if (len === 0) continue;
      k.wasm.dotRangeI8(k.at.query8, k.at.codes + s * dim, len, dim, k.at.out);
      for (let i = 0; i < len; i++) {
        const row = order[s + i]!;
        if (accept && (accept[row >>> 5]! & (1 << (row & 31))) === 0) continue;
        matched++;
        const sc = out[i]!;
        if (sc >= pool.floor) pool.offer(sc, row);
      }
    }
    const heap = new TopKHeap(depth);
    const v = k.vectors;
    for (const c of pool.sorted()) {
      const s = dot(v, c.row * dim, q, 0, dim);
      if (s >= heap.floor) heap.offer(s, c.row);
    }
    return heap.sorted();
  }
}

/**
 * Build an IVF index over the kernel's vectors (the kernel must have room for `kernel.lists`
 * centroids): spherical k-means on a sample, every row assigned to its nearest centroid, int8 codes
 * written in list order. Yields to the event loop between chunks (a server builds this while it
 * serves the previous release).
 */
export async function buildIvfIndex(kernel: VectorKernel, opts: IvfBuildOptions = {}): Promise<IvfIndex> {
  const { n, dim, lists } = kernel;
  if (lists < 1) throw new RangeError("the kernel has no room for IVF centroids (VectorKernel lists: 0)");
  const v = kernel.vectors;
  const buf = kernel.memory.buffer;
  const cents = new Float32Array(buf, kernel.at.cents, lists * dim);
  const outI = new Int32Array(buf, kernel.at.out, Math.max(n, lists));
  const rand = mulberry32(opts.seed ?? 1);
  // The training sample lives in the code region until the codes are written (n·dim bytes hold
  // n/4 float32 rows).
  const m = Math.max(lists, Math.min(Math.floor(n / 4), opts.sample ?? lists * 32));
  const sampleRows = new Uint32Array(m);
  for (let i = 0; i < m; i++) sampleRows[i] = Math.floor((i * n) / m + rand() * (n / m)) % n;
  const sample = new Float32Array(buf, kernel.at.codes, m * dim);
  for (let i = 0; i < m; i++) sample.set(v.subarray(sampleRows[i]! * dim, (sampleRows[i]! + 1) * dim), i * dim);
  // Initial centroids: distinct sample rows.
  const pickStep = m / lists;
  for (let c = 0; c < lists; c++) cents.set(sample.subarray(Math.floor(c * pickStep) * dim, (Math.floor(c * pickStep) + 1) * dim), c * dim);
  const sums = new Float64Array(lists * dim);
  const counts = new Uint32Array(lists);
  const CHUNK = 4096;
  const assign = async (base: number, rowsN: number, into: Int32Array) => {
    for (let i = 0; i < rowsN; i += CHUNK) {
      const len = Math.min(CHUNK, rowsN - i);
      kernel.wasm.nearest(base + i * dim * 4, len, kernel.at.cents, lists, dim, kernel.at.out);
      into.set(outI.subarray(0, len), i);
      await yieldToEventLoop();
    }
  };
  const sampleAssign = new Int32Array(m);
  for (let it = 0; it < (opts.iterations ?? 6); it++) {
    await assign(kernel.at.codes, m, sampleAssign);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const c = sampleAssign[i]!;
      counts[c]!++;
      const o = i * dim,
        co = c * dim;
      for (let j = 0; j < dim; j++) sums[co + j]! += sample[o + j]!;
    }
    for (let c = 0; c < lists; c++) {
      const co = c * dim;
      if (counts[c] === 0) {
        // An empty list restarts at a random sample row.
        const r = Math.floor(rand() * m);
        cents.set(sample.subarray(r * dim, (r + 1) * dim), co);
        continue;
      }
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += sums[co + j]! * sums[co + j]!;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < dim; j++) cents[co + j] = sums[co + j]! / norm;
    }
  }
  const listOf = (await (opts.rowPass ?? oneThreadRowPass)(kernel, await codeScale(kernel), true))!;
  const start = new Uint32Array(lists + 1);
  for (let r = 0; r < n; r++) start[listOf[r]! + 1]!++;
  for (let c = 0; c < lists; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, lists);
  const order = new Uint32Array(n);
  for (let r = 0; r < n; r++) order[fill[listOf[r]!]!++] = r;
  await codesToListOrder(kernel, order);
  return new IvfIndex(kernel, start, order);
}

/** What an IVF index stores to be restored without k-means or the assignment: centroids and lists (the int8 codes follow from the vectors). */
export interface IvfLayout {
  /** Rows indexed. */
  n: number;
  /** Vector dimension. */
  dim: number;
  /** lists × dim centroids, row-major. */
  cents: Float32Array;
  /** Rows of list l are order[start[l] .. start[l + 1]). */
  start: Uint32Array;
  order: Uint32Array;
}

/** A copy of an index's layout (to store with its release). */
export function ivfLayoutOf(ivf: IvfIndex, kernel: VectorKernel): IvfLayout {
  const cents = new Float32Array(kernel.memory.buffer, kernel.at.cents, ivf.lists * kernel.dim).slice();
  return { n: kernel.n, dim: kernel.dim, cents, start: ivf.start.slice(), order: ivf.order.slice() };
}

/**
 * The index `layout` describes over the kernel's vectors: the same lists, centroids and codes
 * buildIvfIndex wrote for these vectors, at the cost of one pass over them. A RangeError when the
 * layout does not fit the kernel (other rows, dimension or list count; lists not a permutation).
 */
export async function restoreIvfIndex(kernel: VectorKernel, layout: IvfLayout, opts: IvfRestoreOptions = {}): Promise<IvfIndex> {
  const lists = layout.start.length - 1;
  const bad = (why: string) => new RangeError(`stored IVF index does not fit these vectors: ${why}`);
  if (layout.n !== kernel.n || layout.dim !== kernel.dim) throw bad(`${layout.n} × ${layout.dim} stored, ${kernel.n} × ${kernel.dim} loaded`);
  if (lists !== kernel.lists || layout.cents.length !== lists * kernel.dim) throw bad(`${lists} lists stored, room for ${kernel.lists}`);
  if (layout.order.length !== kernel.n || layout.start[0] !== 0 || layout.start[lists] !== kernel.n) throw bad("list bounds do not cover every row");
  const seen = new Uint8Array(kernel.n);
  for (let l = 0; l < lists; l++) if (layout.start[l + 1]! < layout.start[l]!) throw bad("list bounds out of order");
  for (const r of layout.order) {
    if (r >= kernel.n || seen[r]) throw bad("lists are not a permutation of the rows");
    seen[r] = 1;
  }
  new Float32Array(kernel.memory.buffer, kernel.at.cents, lists * kernel.dim).set(layout.cents);
  // Rows in the order the layout was built on: a sample of rows must sit in the list of their
  // nearest centroid, as the build put them (the same kernel computes the same nearest).
  const out = new Int32Array(kernel.memory.buffer, kernel.at.out, 1);
  const step = Math.max(1, Math.floor(kernel.n / 1024));
  for (let l = 0; l < lists; l++) {
    for (let p = layout.start[l]!; p < layout.start[l + 1]!; p++) {
      const r = layout.order[p]!;
      if (r % step !== 0) continue;
      kernel.wasm.nearest(kernel.at.vectors + r * kernel.dim * 4, 1, kernel.at.cents, lists, kernel.dim, kernel.at.out);
      if (out[0] !== l) throw bad(`row ${r} is stored in list ${l} but nearest to centroid ${out[0]} (were the rows reordered?)`);
    }
  }
  const order = layout.order.slice();
  await (opts.rowPass ?? oneThreadRowPass)(kernel, await codeScale(kernel), false);
  await codesToListOrder(kernel, order);
  return new IvfIndex(kernel, layout.start.slice(), order);
}

const PASS_CHUNK = 4096;

/** The row pass on this thread, yielding to the event loop between chunks of rows. */
export const oneThreadRowPass: IvfRowPass = async (kernel, scale, nearest) => {
  const { n, dim } = kernel;
  const v = kernel.vectors;
  const codes = new Int8Array(kernel.memory.buffer, kernel.at.codes, n * dim);
  const out = new Int32Array(kernel.memory.buffer, kernel.at.out, Math.max(n, kernel.lists));
  const listOf = nearest ? new Int32Array(n) : null;
  for (let base = 0; base < n; base += PASS_CHUNK) {
    const len = Math.min(PASS_CHUNK, n - base);
    if (listOf) {
      kernel.wasm.nearest(kernel.at.vectors + base * dim * 4, len, kernel.at.cents, kernel.lists, dim, kernel.at.out);
      listOf.set(out.subarray(0, len), base);
    }
    for (let i = base * dim, end = (base + len) * dim; i < end; i++) codes[i] = Math.round(v[i]! * scale);
    await yieldToEventLoop();
  }
  return listOf;
};

/** The scale of the int8 codes: one for all rows (scores are only compared within one query). */
async function codeScale(kernel: VectorKernel): Promise<number> {
  const v = kernel.vectors;
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > max) max = a;
    if ((i & 0xffffff) === 0xffffff) await yieldToEventLoop();
  }
  return max > 0 ? 127 / max : 0;
}

// Codes in row order → list order (position p holds row order[p]), in place: each cycle of the
// permutation is followed with one row of scratch, so no second n × dim buffer is needed; yields
// every 64k rows moved.
async function codesToListOrder(kernel: VectorKernel, order: Uint32Array): Promise<void> {
  const { n, dim } = kernel;
  const codes = new Int8Array(kernel.memory.buffer, kernel.at.codes, n * dim);
  const placed = new Uint8Array(n);
  const first = new Int8Array(dim);
  let moved = 0;
  for (let p0 = 0; p0 < n; p0++) {
    if (placed[p0]) continue;
    first.set(codes.subarray(p0 * dim, (p0 + 1) * dim));
    for (let p = p0; ; ) {
      placed[p] = 1;
      const from = order[p]!;
      if (from === p0) {
        codes.set(first, p * dim);
        break;
      }
      codes.copyWithin(p * dim, from * dim, (from + 1) * dim);
      p = from;
      if ((++moved & 65535) === 0) await yieldToEventLoop();
    }
  }
}
