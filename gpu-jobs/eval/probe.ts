// A linear probe (issue #17): how well item vectors alone tell an item's category. Multinomial
// logistic regression (softmax, L2 on the weights, not the biases) fitted by L-BFGS on
// standardised features, k-fold cross-validated. Plain TypeScript over typed arrays: no TF.js, no
// randomness (full-batch optimiser; the first fold starts from zero, each later fold from the
// previous fold's weights, since folds share most of their training items), so the same vectors
// give the same figures everywhere. Item vectors are nearly separable under a weak L2, so L-BFGS
// converges slowly: 50 iterations per fold, warm-started, came within 0.2 points of the optimum
// (1,000 iterations) on fashion-mnist's trained vectors, at a twentieth of the cost.
//
// Labels: the whole category path by default ("Clothing>Dresses", segments trimmed), since a
// path is what a shop's filters and query understanding use, and two leaves of one name under
// different parents ("Women>Shoes", "Kids>Shoes") are different products; `label: "leaf"` probes
// the last segment instead. Items without a category take no part; classes with fewer items than
// folds are dropped and counted. Folds come from a fixed hash of the item id (murmur3, seed =
// `seed`), so an item sits in the same fold for every model and every subset of the catalog.
import { murmur3 } from "../../core/index.ts";

/** Which item rows the probe sees. */
export interface ProbeInput {
  /** n × dim item vectors, row-major (catalog order). */
  vectors: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** Item ids, row i = vector row i (the folds hash them). */
  ids: readonly string[];
  /** Category (path) per row; null or empty: the row takes no part. */
  categories: readonly (string | null)[];
  /** Rows that take part (default: every row with a category). */
  rows?: ArrayLike<number>;
}

/** How the probe is fitted and cross-validated. */
export interface ProbeOptions {
  /** Folds of the cross-validation (default 5, at least 2). */
  folds?: number;
  /** L2 strength on the weights: loss = mean cross-entropy + l2/2 · ‖W‖² (default 1e-3). */
  l2?: number;
  /** L-BFGS iterations per fold at most (default 50). */
  maxIter?: number;
  /** Salt of the fold hash (default 0): the same seed gives the same folds. */
  seed?: number;
  /** The class of an item: the whole path (default) or its last segment. */
  label?: "path" | "leaf";
}

/** A probe's cross-validated figures. */
export interface ProbeResult {
  /** Accuracy, mean over folds (each fold's share of its held-out items classified right). */
  accuracy: number;
  /** Sample sd of the fold accuracies (null with one evaluated fold). */
  sd: number | null;
  /** Accuracy of each evaluated fold, in fold order. */
  foldAccuracy: number[];
  /** Majority-class baseline over the same folds (predict the training folds' most frequent class). */
  majority: number;
  /** Items probed (after dropping tiny classes). */
  items: number;
  /** Classes probed. */
  classes: number;
  /** Folds evaluated (a fold with no items is skipped). */
  folds: number;
  /** Classes dropped for having fewer items than folds. */
  droppedClasses: number;
  /** Items in those classes. */
  droppedItems: number;
  /** What a class is. */
  label: "path" | "leaf";
  /** Set when the figures are a mean over several seeds' models (sd and foldAccuracy are then over seeds). */
  seeds?: number;
}

/** The class of a category string, or null when it has none. */
export function categoryLabel(category: string | null | undefined, label: "path" | "leaf" = "path"): string | null {
  if (!category) return null;
  const parts = category
    .split(">")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) return null;
  return label === "leaf" ? parts.at(-1)! : parts.join(">");
}

/** The fold of an item: a fixed hash of its id. */
export function probeFold(id: string, folds: number, seed = 0): number {
  return murmur3(id, seed) % folds;
}

/** Cross-validated linear probe of the vectors' categories; null with fewer than two classes left. */
export function linearProbe(input: ProbeInput, opts: ProbeOptions = {}): ProbeResult | null {
  const k = opts.folds ?? 5;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`probe folds must be a whole number ≥ 2, got ${k}`);
  const l2 = opts.l2 ?? 1e-3;
  const label = opts.label ?? "path";
  const { vectors, dim: d, ids, categories } = input;
  if (vectors.length < ids.length * d) throw new RangeError(`probe: ${ids.length} ids need ${ids.length * d} vector values, got ${vectors.length}`);
  const candidates = input.rows ? Array.from(input.rows) : ids.map((_, i) => i);
  const labelled: { row: number; cls: string }[] = [];
  for (const r of candidates) {
    const cls = categoryLabel(categories[r], label);
    if (cls !== null) labelled.push({ row: r, cls });
  }
  const counts = new Map<string, number>();
  for (const x of labelled) counts.set(x.cls, (counts.get(x.cls) ?? 0) + 1);
  // Classes in a fixed order (by name), so ties and the class index never depend on row order.
  const kept = [...counts]
    .filter(([, n]) => n >= k)
    .map(([c]) => c)
    .sort();
  const droppedClasses = counts.size - kept.length;
  const classOf = new Map(kept.map((c, i) => [c, i]));
  const use = labelled.filter((x) => classOf.has(x.cls));
  const droppedItems = labelled.length - use.length;
  const C = kept.length;
  if (C < 2) return null;

  const n = use.length;
  const y = Int32Array.from(use, (x) => classOf.get(x.cls)!);
  const fold = Int32Array.from(use, (x) => probeFold(ids[x.row]!, k, opts.seed ?? 0));
  const foldAccuracy: number[] = [];
  const majorityAcc: number[] = [];
  let warm: Float64Array | undefined;
  for (let f = 0; f < k; f++) {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0 || train.length === 0) continue;
    const { xTrain, xTest } = standardise(vectors, d, use, train, test);
    const yTrain = Int32Array.from(train, (i) => y[i]!);
    const theta = fitSoftmax(xTrain, yTrain, d, C, l2, opts.maxIter ?? 50, warm);
    warm = theta;
    let right = 0;
    test.forEach((i, t) => void (predict(theta, xTest, t, d, C) === y[i] ? right++ : 0));
    foldAccuracy.push(right / test.length);
    // Majority baseline: the training folds' most frequent class (ties: the first by name).
    const freq = new Int32Array(C);
    for (const c of yTrain) freq[c]!++;
    let maj = 0;
    for (let c = 1; c < C; c++) if (freq[c]! > freq[maj]!) maj = c;
    majorityAcc.push(test.filter((i) => y[i] === maj).length / test.length);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const m = mean(foldAccuracy);
  const sd = foldAccuracy.length > 1 ? Math.sqrt(foldAccuracy.reduce((a, b) => a + (b - m) ** 2, 0) / (foldAccuracy.length - 1)) : null;
  return { accuracy: m, sd, foldAccuracy, majority: mean(majorityAcc), items: n, classes: C, folds: foldAccuracy.length, droppedClasses, droppedItems, label };
}

/** Train and test rows as float64, centred and scaled by the training rows' mean and sd (constant features become 0). */
function standardise(vectors: Float32Array, d: number, use: readonly { row: number }[], train: number[], test: number[]): { xTrain: Float64Array; xTest: Float64Array } {
  const mu = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const i of train) {
    const o = use[i]!.row * d;
    for (let j = 0; j < d; j++) mu[j]! += vectors[o + j]!;
  }
  for (let j = 0; j < d; j++) mu[j]! /= train.length;
  for (const i of train) {
    const o = use[i]!.row * d;
    for (let j = 0; j < d; j++) sq[j]! += (vectors[o + j]! - mu[j]!) ** 2;
  }
  // A feature that does not vary over the training rows (e.g. every item's vector is the same when
  // only an empty title reaches it) carries no information: scale 0, not noise blown up to unit sd.
  const scale = Float64Array.from(sq, (s) => {
    const sdj = Math.sqrt(s / train.length);
    return sdj > 1e-6 ? 1 / sdj : 0;
  });
  const pack = (rows: number[]) => {
    const x = new Float64Array(rows.length * d);
    rows.forEach((i, t) => {
      const o = use[i]!.row * d;
      for (let j = 0; j < d; j++) x[t * d + j] = (vectors[o + j]! - mu[j]!) * scale[j]!;
    });
    return x;
  };
  return { xTrain: pack(train), xTest: pack(test) };
}

// θ layout: class c's weights at c·(d+1) .. c·(d+1)+d−1, its bias at c·(d+1)+d.
function logits(theta: Float64Array, x: Float64Array, i: number, d: number, C: number, z: Float64Array): void {
  const o = i * d;
  for (let c = 0; c < C; c++) {
    const w = c * (d + 1);
    let s = theta[w + d]!;
    for (let j = 0; j < d; j++) s += theta[w + j]! * x[o + j]!;
    z[c] = s;
  }
}

function predict(theta: Float64Array, x: Float64Array, i: number, d: number, C: number): number {
  const z = new Float64Array(C);
  logits(theta, x, i, d, C, z);
  let best = 0;
  for (let c = 1; c < C; c++) if (z[c]! > z[best]!) best = c;
  return best;
}

/** Loss and gradient (into g) of mean softmax cross-entropy + l2/2 · ‖W‖². */
function lossGrad(theta: Float64Array, x: Float64Array, y: Int32Array, d: number, C: number, l2: number, g: Float64Array): number {
  const n = y.length;
  const z = new Float64Array(C);
  g.fill(0);
  let f = 0;
  for (let i = 0; i < n; i++) {
    logits(theta, x, i, d, C, z);
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, z[c]!);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z[c]! - mx);
    const lse = mx + Math.log(se);
    f += lse - z[y[i]!]!;
    const o = i * d;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[c]! - lse) - (c === y[i] ? 1 : 0);
      if (p === 0) continue;
      const w = c * (d + 1);
      for (let j = 0; j < d; j++) g[w + j]! += p * x[o + j]!;
      g[w + d]! += p;
    }
  }
  f /= n;
  let reg = 0;
  for (let c = 0; c < C; c++) {
    const w = c * (d + 1);
    for (let j = 0; j < d; j++) {
      const t = theta[w + j]!;
      g[w + j] = g[w + j]! / n + l2 * t;
      reg += t * t;
    }
    g[w + d] = g[w + d]! / n;
  }
  return f + 0.5 * l2 * reg;
}

const dotv = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** L-BFGS (memory 10, backtracking Armijo line search) from `init` (default θ = 0). */
function fitSoftmax(x: Float64Array, y: Int32Array, d: number, C: number, l2: number, maxIter: number, init?: Float64Array): Float64Array {
  const size = C * (d + 1);
  const M = 10;
  let theta = init ? Float64Array.from(init) : new Float64Array(size);
  let g = new Float64Array(size);
  let f = lossGrad(theta, x, y, d, C, l2, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const p = new Float64Array(size);
  const alpha = new Float64Array(M);
  let next = new Float64Array(size);
  let gNext = new Float64Array(size);
  for (let it = 0; it < maxIter; it++) {
    let gmax = 0;
    for (let i = 0; i < size; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
    if (gmax < 1e-5) break;
    // Two-loop recursion: p = −H·g.
    for (let i = 0; i < size; i++) p[i] = -g[i]!;
    for (let m = S.length - 1; m >= 0; m--) {
      alpha[m] = rho[m]! * dotv(S[m]!, p);
      const ym = Y[m]!;
      for (let i = 0; i < size; i++) p[i]! -= alpha[m]! * ym[i]!;
    }
    const gamma = S.length ? dotv(S.at(-1)!, Y.at(-1)!) / dotv(Y.at(-1)!, Y.at(-1)!) : 1 / Math.max(1, Math.sqrt(dotv(g, g)));
    for (let i = 0; i < size; i++) p[i]! *= gamma;
    for (let m = 0; m < S.length; m++) {
      const beta = rho[m]! * dotv(Y[m]!, p);
      const sm = S[m]!;
      for (let i = 0; i < size; i++) p[i]! += (alpha[m]! - beta) * sm[i]!;
    }
    let slope = dotv(g, p);
    if (!(slope < 0)) {
      // Not a descent direction (curvature lost to rounding): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < size; i++) p[i] = -g[i]! / Math.max(1, Math.sqrt(dotv(g, g)));
      slope = dotv(g, p);
    }
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < size; i++) next[i] = theta[i]! + step * p[i]!;
      fNext = lossGrad(next, x, y, d, C, l2, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNext < f)) break; // no progress left at this precision
    const s = new Float64Array(size);
    const yv = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = next[i]! - theta[i]!;
      yv[i] = gNext[i]! - g[i]!;
    }
    const sy = dotv(s, yv);
    if (sy > 1e-12) {
      if (S.length === M) S.shift(), Y.shift(), rho.shift();
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const done = f - fNext < 1e-10 * Math.max(1, Math.abs(f));
    [theta, next] = [next, theta];
    [g, gNext] = [gNext, g];
    f = fNext;
    if (done) break;
  }
  return theta;
}
