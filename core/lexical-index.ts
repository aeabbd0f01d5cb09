// The lexical channel of hybrid retrieval (DESIGN §6): BM25 over each item's title, brand, category
// levels and attribute values. Postings are CSR typed arrays (one rows array and one tf array for
// all terms, sliced by term offsets) so 1M items stay compact and build without per-term objects.
import { fold } from "./fold.ts";
import { segment } from "./segment.ts";
import { TopKHeap } from "./top-k.ts";

/** One item's text fields; the row is its position in the input. */
export interface LexicalDoc {
  /** Item title. */
  title: string;
  /** Brand name. */
  brand?: string | null;
  /** Category path, levels joined by ">" (every level is indexed). */
  category?: string | null;
  /** Attributes: values are indexed, keys are not. */
  attributes?: Record<string, string | null> | null;
}

/** BM25 parameters (Lucene's form). */
export interface Bm25Options {
  /** Term-frequency saturation, ≥ 0 (default 1.2). */
  k1?: number;
  /** Length normalisation in [0, 1] (default 0.75). */
  b?: number;
}

/** Restrictions of one search; scores of the rows that pass are the same as without them. */
export interface LexicalSearchOptions {
  /** Ascending candidate rows (a filter's exact rows): only these may be returned. */
  rows?: Uint32Array | null;
  /** Test on a candidate row before it enters the top-k (filters postings cannot express); must not search this index. */
  accept?: ((row: number) => boolean) | null;
  /** Score every posting of every query term instead of skipping what cannot reach the top k (the same answer; the reference tests and the bench compare with). */
  exhaustive?: boolean;
}

/** One search hit. */
export interface LexicalHit {
  /** Item row. */
  row: number;
  /** BM25 score, > 0. */
  score: number;
}

/** Index terms of a text: segmented (NFKC, lower case, CJK by dictionary), then plural-folded. */
export function lexicalTerms(text: string): string[] {
  return segment(text).map(fold);
}

/** Index terms of an item: title, brand, every category level and the attribute values, in that order. */
export function lexicalDocTerms(doc: LexicalDoc): string[] {
  // One segment call per item (segmenting is over half of the build): fields joined by spaces segment
  // exactly as they would apart, since segment splits on spaces before jieba sees a Han run, so
  // words never join across fields; the category's ">" becomes a space, so every level is indexed.
  let text = doc.title;
  if (doc.brand) text += ` ${doc.brand}`;
  if (doc.category) text += ` ${doc.category.replaceAll(">", " ")}`;
  if (doc.attributes) for (const v of Object.values(doc.attributes)) if (v) text += ` ${v}`;
  return lexicalTerms(text);
}

/** Give the event loop a turn (setImmediate where there is one: setTimeout(0) waits ≥ 1 ms in Node). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

const MAX_TF = 0xffff; // tf is stored in 16 bits; BM25 saturates long before this
// Pruning compares upper bounds (sums of per-term maxima, in another order than a score's sum) with
// a kept score; this margin covers the rounding of those sums, so a row whose exact score could tie
// the k-th best is never skipped.
const BOUND_MARGIN = 1 + 1e-9;

/** Appendable Uint32Array (doubling), for the build's flat (term, tf) pairs. */
class U32Buffer {
  data = new Uint32Array(1 << 12);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

/** First index in [lo, hi) with a[i] ≥ x (a ascending): galloping, cheap when successive targets are near. */
function lowerBound(a: Uint32Array, x: number, lo: number, hi: number): number {
  if (lo >= hi || a[lo]! >= x) return lo;
  let left = lo; // a[left] < x throughout
  let step = 1;
  while (left + step < hi && a[left + step]! < x) {
    left += step;
    step *= 2;
  }
  let right = Math.min(left + step, hi); // right === hi or a[right] ≥ x
  while (right - left > 1) {
    const mid = (left + right) >>> 1;
    if (a[mid]! < x) left = mid;
    else right = mid;
  }
  return right;
}

/** BM25 index over item text; rows are positions in the docs given to `build`. */
export class LexicalIndex {
  /** Number of items (rows). */
  readonly n: number;
  private readonly k1: number;
  private readonly b: number;
  private readonly avgdl: number;
  // Scratch reused by every search (searches are synchronous): per-row score accumulators, the
  // rows touched (so a reset costs what the search touched, not n), and a lazily made row mask.
  private readonly acc: Float64Array;
  private readonly touched: Uint32Array;
  private mask: Uint8Array | null = null;

  private constructor(
    private readonly dict: Map<string, number>,
    private readonly termStart: Uint32Array,
    private readonly postRows: Uint32Array,
    private readonly postTf: Uint16Array,
    private readonly idf: Float64Array,
    // Per term, its largest contribution to any row's score: the bound pruned searches skip by.
    private readonly termMax: Float64Array,
    private readonly docLen: Float32Array,
    totalLen: number,
    opts: Required<Bm25Options>,
  ) {
    this.n = docLen.length;
    this.k1 = opts.k1;
    this.b = opts.b;
    this.avgdl = this.n > 0 && totalLen > 0 ? totalLen / this.n : 1;
    this.acc = new Float64Array(this.n);
    this.touched = new Uint32Array(this.n);
  }

  /** Build the index over `docs` (row = array index). */
  static build(docs: readonly LexicalDoc[], opts: Bm25Options = {}): LexicalIndex {
    const steps = LexicalIndex.steps(docs, opts);
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
    }
  }

  /**
   * The same index, built in slices that give the event loop back every `sliceMs` (default 10) of
   * work: a server reloading a release keeps answering meanwhile (at 100k items the whole build is
   * ~350 ms of CPU in one block otherwise).
   */
  static async buildAsync(docs: readonly LexicalDoc[], opts: Bm25Options = {}, sliceMs = 10): Promise<LexicalIndex> {
    const steps = LexicalIndex.steps(docs, opts);
    let since = performance.now();
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
      if (performance.now() - since >= sliceMs) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
  }

  // The build, yielding every 256 docs so a caller may pause between.
  private static *steps(docs: readonly LexicalDoc[], opts: Bm25Options): Generator<void, LexicalIndex> {
    const k1 = opts.k1 ?? 1.2;
    const b = opts.b ?? 0.75;
    if (!(Number.isFinite(k1) && k1 >= 0)) throw new RangeError(`bm25 k1 must be a finite number ≥ 0, got ${k1}`);
    if (!(b >= 0 && b <= 1)) throw new RangeError(`bm25 b must be in [0, 1], got ${b}`);
    const n = docs.length;
    const dict = new Map<string, number>();
    const df: number[] = [];
    // Per term: the last doc that used it and the index of that doc's (term, tf) pair, so a
    // repeat within a doc bumps its tf without sorting the doc's terms.
    const lastDoc: number[] = [];
    const lastPair: number[] = [];
    // Pass 1: each doc's distinct term ids with their tf, as flat pairs (doc i owns [docEnd[i-1], docEnd[i])).
    const pairTerm = new U32Buffer();
    const pairTf = new U32Buffer();
    const docEnd = new Uint32Array(n);
    const docLen = new Float32Array(n);
    let totalLen = 0;
    for (let i = 0; i < n; i++) {
      const terms = lexicalDocTerms(docs[i]!);
      for (const term of terms) {
        let id = dict.get(term);
        if (id === undefined) {
          id = df.length;
          dict.set(term, id);
          df.push(0);
          lastDoc.push(-1);
          lastPair.push(0);
        }
        if (lastDoc[id] === i) pairTf.data[lastPair[id]!]!++;
        else {
          lastDoc[id] = i;
          lastPair[id] = pairTerm.length;
          pairTerm.push(id);
          pairTf.push(1);
          df[id]!++;
        }
      }
      docLen[i] = terms.length;
      totalLen += terms.length;
      docEnd[i] = pairTerm.length;
      if ((i & 255) === 255) yield;
    }
    // Pass 2: scatter the pairs into per-term slices; docs go in row order, so each slice is ascending.
    const terms = df.length;
    const termStart = new Uint32Array(terms + 1);
    for (let t = 0; t < terms; t++) termStart[t + 1] = termStart[t]! + df[t]!;
    const cursor = termStart.slice(0, terms);
    const postRows = new Uint32Array(pairTerm.length);
    const postTf = new Uint16Array(pairTerm.length);
    for (let i = 0, p = 0; i < n; i++) {
      for (const end = docEnd[i]!; p < end; p++) {
        const at = cursor[pairTerm.data[p]!]!++;
        postRows[at] = i;
        postTf[at] = Math.min(pairTf.data[p]!, MAX_TF);
      }
      if ((i & 4095) === 4095) yield;
    }
    const idf = Float64Array.from(df, (d) => Math.log(1 + (n - d + 0.5) / (d + 0.5)));
    // Pass 3: each term's largest contribution, by the formula search uses (so a bound is never below a score's term).
    const avgdl = n > 0 && totalLen > 0 ? totalLen / n : 1;
    const termMax = new Float64Array(terms);
    for (let t = 0; t < terms; t++) {
      const w = idf[t]!;
      let max = 0;
      for (let p = termStart[t]!, e = termStart[t + 1]!; p < e; p++) {
        const tf = postTf[p]!;
        const c = (w * (tf * (k1 + 1))) / (tf + k1 * (1 - b + (b * docLen[postRows[p]!]!) / avgdl));
        if (c > max) max = c;
      }
      termMax[t] = max;
      if ((t & 4095) === 4095) yield;
    }
    return new LexicalIndex(dict, termStart, postRows, postTf, idf, termMax, docLen, totalLen, { k1, b });
  }

  /** Terms the index knows (for tests and diagnostics). */
  termCount(): number {
    return this.dict.size;
  }

  /** Top-k rows by BM25 for the query, best first; only rows with score > 0; ties → lower row. */
  search(query: string, k: number, opts: LexicalSearchOptions = {}): LexicalHit[] {
    const kk = Math.min(Math.floor(k), this.n);
    const rows = opts.rows ?? null;
    const accept = opts.accept ?? null;
    if (!(kk >= 1) || (rows && rows.length === 0)) return [];
    // Distinct known terms in query order: a repeated word counts once, an unknown one not at all.
    const termIds: number[] = [];
    for (const t of lexicalTerms(query)) {
      const id = this.dict.get(t);
      if (id !== undefined && !termIds.includes(id)) termIds.push(id);
    }
    if (termIds.length === 0) return [];
    // Without candidate rows, visit only rows that can still reach the top k (the same answer).
    if (!rows && !opts.exhaustive) return this.searchPruned(termIds, kk, accept);
    const { acc, touched, postRows, postTf, docLen, k1, b, avgdl } = this;
    const k1p1 = k1 + 1;
    let nt = 0;
    let masked = false;
    // Every path adds a row's contributions in the same term order with the same formula (the two
    // `acc[row] +=` lines must stay identical), so a row's score does not depend on `rows` or
    // `accept`. Every contribution is > 0, so an accumulator at 0 marks a row not yet touched.
    try {
      for (const id of termIds) {
        const s = this.termStart[id]!,
          e = this.termStart[id + 1]!;
        const idf = this.idf[id]!;
        if (rows && rows.length * 8 < e - s) {
          // Few candidates against a long postings list: gallop through it once per candidate.
          let lo = s;
          for (let j = 0; j < rows.length && lo < e; j++) {
            const row = rows[j]!;
            lo = lowerBound(postRows, row, lo, e);
            if (lo === e || postRows[lo] !== row) continue;
            const tf = postTf[lo++]!; // step past it: a repeated candidate row is not added twice
            if (acc[row] === 0) touched[nt++] = row;
            acc[row]! += (idf * (tf * k1p1)) / (tf + k1 * (1 - b + (b * docLen[row]!) / avgdl));
          }
          continue;
        }
        let mask: Uint8Array | null = null;
        if (rows) {
          mask = this.mask ??= new Uint8Array(this.n);
          if (!masked) for (let j = 0; j < rows.length; j++) mask[rows[j]!] = 1;
          masked = true;
        }
        for (let p = s; p < e; p++) {
          const row = postRows[p]!;
          if (mask !== null && mask[row] === 0) continue;
          const tf = postTf[p]!;
          if (acc[row] === 0) touched[nt++] = row;
          acc[row]! += (idf * (tf * k1p1)) / (tf + k1 * (1 - b + (b * docLen[row]!) / avgdl));
        }
      }
      const heap = new TopKHeap(kk);
      for (let j = 0; j < nt; j++) {
        const row = touched[j]!;
        if (accept && !accept(row)) continue;
        heap.offer(acc[row]!, row);
      }
      return heap.sorted();
    } finally {
      // Reset only what this search touched (also when `accept` throws).
      for (let j = 0; j < nt; j++) acc[touched[j]!] = 0;
      if (masked && rows) for (let j = 0; j < rows.length; j++) this.mask![rows[j]!] = 0;
    }
  }

  /**
   * The length cut of a term of weight `w` against a needed contribution: [α, β] such that a row
   * with tf t and length above t·α − β contributes less than `need` (the BM25 term solved for the
   * length); null when length does not lower the score (k1 or b is 0) or need ≤ 0.
   */
  private lengthCut(w: number, need: number): [number, number] | null {
    const { k1, b, avgdl } = this;
    if (!(need > 0) || k1 * b === 0) return null;
    return [((w * (k1 + 1)) / need - 1) * (avgdl / (k1 * b)), ((1 - b) * avgdl) / b];
  }

  /**
   * The top k without scoring every posting: MaxScore's bounds (Turtle & Flood), term at a time.
   * Query terms go shortest postings first (the rarest: the highest weights, fill the top k with
   * high scores soonest); a phase walks one term's rows that are in no earlier term, looks each up in
   * the later terms only while its bound (its contributions so far plus the maxima of the terms left)
   * can still beat the k-th best kept, and the search ends once the maxima of the terms left cannot.
   * A row is skipped only when its score is below a kept one, so the top k are the exhaustive
   * search's, and each kept row's score is summed in query-term order as there: equal to the last bit.
   */
  private searchPruned(termIds: readonly number[], kk: number, accept: ((row: number) => boolean) | null): LexicalHit[] {
    const { postRows, postTf, docLen, k1, b, avgdl } = this;
    const k1p1 = k1 + 1;
    const m = termIds.length;
    const len = (q: number) => this.termStart[termIds[q]! + 1]! - this.termStart[termIds[q]!]!;
    // Phase order: shortest list first; tail[i] bounds what the lists after i add to a row.
    const order = termIds.map((_, q) => q).sort((x, y) => len(x) - len(y) || x - y);
    const qpos = Int32Array.from(order);
    const start = Uint32Array.from(order, (q) => this.termStart[termIds[q]!]!);
    const end = Uint32Array.from(order, (q) => this.termStart[termIds[q]! + 1]!);
    const idf = Float64Array.from(order, (q) => this.idf[termIds[q]!]!);
    const ub = Float64Array.from(order, (q) => this.termMax[termIds[q]!]!);
    const tail = new Float64Array(m);
    for (let i = m - 1, s = 0; i >= 0; i--) {
      tail[i] = s;
      s += ub[i]!;
    }
    const pos = new Uint32Array(m); // lookup cursors of the phase (its rows ascend)
    const contrib = new Float64Array(m); // the row's contributions by query position
    const heap = new TopKHeap(kk);
    for (let j = 0; j < m; j++) {
      // A row not seen yet is in lists j.. alone: it scores at most their maxima.
      if ((ub[j]! + tail[j]!) * BOUND_MARGIN < heap.floor) break;
      pos.set(start);
      const w = idf[j]!,
        rest = tail[j]!;
      // Rows longer than the cut for their tf cannot beat the floor: skipped on their length alone,
      // before any division (the cut errs long by a relative 1e-9; the exact test below decides the rest).
      let cutFloor = Number.NaN,
        cut: [number, number] | null = null;
      for (let p = start[j]!, e = end[j]!; p < e; p++) {
        const row = postRows[p]!;
        const tf = postTf[p]!;
        if (heap.floor !== cutFloor) {
          cutFloor = heap.floor;
          cut = this.lengthCut(w, cutFloor / BOUND_MARGIN - rest);
        }
        if (cut) {
          const ta = tf * cut[0];
          if (docLen[row]! > ta - cut[1] + 1e-9 * (Math.abs(ta) + cut[1] + 1)) continue;
        }
        // A filter's test first: a row it rejects costs no division and no lookup.
        if (accept && !accept(row)) continue;
        const norm = k1 * (1 - b + (b * docLen[row]!) / avgdl);
        const c = (w * (tf * k1p1)) / (tf + norm);
        const floor = heap.floor;
        if ((c + rest) * BOUND_MARGIN < floor) continue;
        let seen = false; // in the list of an earlier phase: scored there
        for (let i = 0; i < j && !seen; i++) {
          const at = (pos[i] = lowerBound(postRows, row, pos[i]!, end[i]!));
          seen = at < end[i]! && postRows[at]! === row;
        }
        if (seen) continue;
        contrib.fill(0);
        contrib[qpos[j]!] = c;
        let bound = c + rest;
        for (let i = j + 1; i < m && bound * BOUND_MARGIN >= floor; i++) {
          const at = (pos[i] = lowerBound(postRows, row, pos[i]!, end[i]!));
          bound -= ub[i]!;
          if (at < end[i]! && postRows[at]! === row) {
            const t = postTf[at]!;
            const ci = (idf[i]! * (t * k1p1)) / (t + norm);
            contrib[qpos[i]!] = ci;
            bound += ci;
          }
        }
        if (bound * BOUND_MARGIN < floor) continue;
        let score = 0;
        for (let q = 0; q < m; q++) if (contrib[q]! > 0) score += contrib[q]!;
        heap.offer(score, row);
      }
    }
    return heap.sorted();
  }
}
