// Item vectors in a WebAssembly memory, scanned with the SIMD kernel of dot-kernel.wat: the exact
// top-K of core/top-k.ts several times faster, with the same rows, scores and ties. The kernel's
// float32 scores (another summation order) only choose candidates: every row whose float32 score
// is within twice the error bound of the k-th best could be in the exact top-K, so all of those are
// rescored with `dot` and ranked by TopKHeap, exactly as exactTopK ranks. The memory also holds
// what the in-memory IVF index (ivf-index.ts) needs, sized once: a view of wasm memory is detached
// when the memory grows, and the vectors view is the release's only copy of its vectors.
import { dot, exactTopK, TopKHeap, type RowScore } from "../top-k.ts";
import { DOT_KERNEL_WASM } from "./dot-kernel-wasm.ts";

/** The kernel's exports (dot-kernel.wat documents each). */
interface KernelExports {
  dotRows(q: number, base: number, rows: number, m: number, dim: number, out: number): void;
  dotRange(q: number, base: number, m: number, dim: number, out: number): void;
  nearest(base: number, m: number, cents: number, nc: number, dim: number, out: number): void;
  dotRangeI8(q: number, base: number, m: number, dim: number, out: number): void;
}

/** Options of createVectorKernel. */
export interface VectorKernelOptions {
  /** Rows (items). */
  n: number;
  /** Vector dimension (a multiple of 16). */
  dim: number;
  /** Centroids to reserve room for (an IVF index over these vectors; 0 = none). */
  lists?: number;
}

// The part of the WebAssembly API used here (the project's lib has no DOM types; every runtime it
// targets — Node, workerd, browsers — has WebAssembly).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// Scans of fewer multiply-adds than this stay in JS (the wasm call and the rescore cost more).
const MIN_KERNEL_WORK = 16_384;
const PAGE = 65_536;
const WASM32_MAX = 65_536 * PAGE;
const align = (x: number, a = 64) => Math.ceil(x / a) * a;

let compiled: object | null = null;
function kernelModule(): object {
  if (!compiled) {
    const bin = atob(DOT_KERNEL_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WA.Module(bytes);
  }
  return compiled;
}

/**
 * The compiled kernel module (a WebAssembly.Module), for threads that run it on memories of their
 * own: lancedb/ivf-workers.ts posts it to its worker threads (a Module is shared, not recompiled).
 * It imports its memory as `env.memory` (non-shared, at least one page).
 */
export function vectorKernelModule(): object {
  return kernelModule();
}

/** Whether this runtime has wasm SIMD and the vectors fit a 32-bit memory with room for an IVF index. */
export function kernelSupported(n: number, dim: number, lists = 0): boolean {
  if (dim % 16 !== 0 || dim === 0) return false;
  if (layout(n, dim, lists).total > WASM32_MAX) return false;
  try {
    kernelModule();
    return true;
  } catch {
    return false;
  }
}

function layout(n: number, dim: number, lists: number) {
  const vectors = 0;
  const query = align(vectors + n * dim * 4);
  const query8 = align(query + dim * 4);
  const rows = align(query8 + dim);
  const out = align(rows + n * 4);
  const cents = align(out + Math.max(n, lists) * 4);
  const codes = align(cents + lists * dim * 4);
  const total = align(codes + (lists > 0 ? n * dim : 0), PAGE);
  return { vectors, query, query8, rows, out, cents, codes, total };
}

/** Item vectors held in wasm memory with the SIMD scans over them. */
export class VectorKernel {
  /** Rows. */
  readonly n: number;
  /** Vector dimension. */
  readonly dim: number;
  /** Row-major item vectors, n × dim: fill these (they are the index's vectors, not a copy). */
  readonly vectors: Float32Array;
  /** Centroid room reserved for an IVF index. */
  readonly lists: number;
  /** The kernel's memory, for ivf-index.ts's views of the centroid and code regions. */
  readonly memory: WasmMemory;
  /** Byte offsets of the regions. */
  readonly at: ReturnType<typeof layout>;
  /** Raw kernel calls (byte offsets into memory). */
  readonly wasm: KernelExports;
  private readonly q: Float32Array;
  private readonly rowsIn: Uint32Array;
  private readonly scores: Float32Array;
  private maxNorm = -1;

  constructor(opts: VectorKernelOptions) {
    const { n, dim } = opts;
    const lists = opts.lists ?? 0;
    if (!kernelSupported(n, dim, lists)) throw new RangeError(`no SIMD kernel for ${n} × ${dim} vectors (needs wasm SIMD, dim a multiple of 16, and under 4 GiB)`);
    this.n = n;
    this.dim = dim;
    this.lists = lists;
    this.at = layout(n, dim, lists);
    const pages = this.at.total / PAGE;
    this.memory = new WA.Memory({ initial: pages, maximum: pages });
    this.wasm = new WA.Instance(kernelModule(), { env: { memory: this.memory } }).exports as unknown as KernelExports;
    const buf = this.memory.buffer;
    this.vectors = new Float32Array(buf, this.at.vectors, n * dim);
    this.q = new Float32Array(buf, this.at.query, dim);
    this.rowsIn = new Uint32Array(buf, this.at.rows, n);
    this.scores = new Float32Array(buf, this.at.out, Math.max(n, lists));
  }

  /** The largest row norm (computed once, after the vectors are filled). */
  rowNormMax(): number {
    if (this.maxNorm < 0) {
      const { vectors: v, dim } = this;
      let m = 0;
      for (let r = 0; r < this.n; r++) {
        const o = r * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) s += v[o + j]! * v[o + j]!;
        if (s > m) m = s;
      }
      this.maxNorm = Math.sqrt(m);
    }
    return this.maxNorm;
  }

  /**
   * A bound on |float32 kernel score − dot| for query q against any row: float32 products and
   * sums over dim terms err by at most (dim + 1)·2⁻²⁴·Σ|qᵢvᵢ| ≤ (dim + 1)·2⁻²⁴·‖q‖·‖v‖; doubled
   * for margin.
   */
  errorBound(q: Float32Array): number {
    let s = 0;
    for (let j = 0; j < this.dim; j++) s += q[j]! * q[j]!;
    return (this.dim + 1) * 2 ** -23 * Math.sqrt(s) * this.rowNormMax();
  }

  /** float32 scores of q against the candidate rows (or all rows), in the shared score buffer (valid until the next call). */
  approxScores(q: Float32Array, rows: Uint32Array | null): Float32Array {
    const m = rows ? rows.length : this.n;
    this.q.set(q);
    if (rows) {
      this.rowsIn.set(rows);
      this.wasm.dotRows(this.at.query, this.at.vectors, this.at.rows, m, this.dim, this.at.out);
    } else this.wasm.dotRange(this.at.query, this.at.vectors, m, this.dim, this.at.out);
    return this.scores.subarray(0, m);
  }

  /** Exactly exactTopK(vectors, dim, q, k, rows, n): same rows, scores (float64 `dot`) and ties. */
  topK(q: Float32Array, k: number, rows: Uint32Array | null): RowScore[] {
    const m = rows ? rows.length : this.n;
    const kk = Math.max(0, Math.min(Math.floor(k), m));
    if (kk === 0 || m * this.dim < MIN_KERNEL_WORK || kk * 4 >= m) return exactTopK(this.vectors, this.dim, q, k, rows, this.n);
    const approx = this.approxScores(q, rows);
    // The k-th best float32 score; any row of the exact top-k scores at least that minus 2·bound.
    const pick = new TopKHeap(kk);
    for (let i = 0; i < m; i++) {
      const s = approx[i]!;
      if (s >= pick.floor) pick.offer(s, i);
    }
    const cut = pick.floor - 2 * this.errorBound(q);
    const heap = new TopKHeap(kk);
    const v = this.vectors,
      dim = this.dim;
    for (let i = 0; i < m; i++) {
      if (approx[i]! < cut) continue;
      const r = rows ? rows[i]! : i;
      const s = dot(v, r * dim, q, 0, dim);
      if (s >= heap.floor) heap.offer(s, r);
    }
    return heap.sorted();
  }
}

/** A kernel holding a copy of `vectors` (n × dim), or null where the kernel cannot run (then scan with exactTopK). */
export function vectorKernelFor(vectors: Float32Array, dim: number, lists = 0): VectorKernel | null {
  const n = vectors.length / dim;
  if (!kernelSupported(n, dim, lists)) return null;
  const k = new VectorKernel({ n, dim, lists });
  k.vectors.set(vectors);
  return k;
}
