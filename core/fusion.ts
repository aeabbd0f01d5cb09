// Fusion of the vector and lexical channels (DESIGN §6): a convex combination of min–max
// normalised scores (the default, with a weight fitted per release) or reciprocal-rank fusion.
import { z } from "zod";
import { parseOrThrow } from "./zod-error.ts";

/** How the two channels' scores are combined. */
export type BlendMethod = "convex" | "rrf";

/** A blend of the vector and lexical channels. */
export interface Blend {
  /** Convex combination of normalised scores, or reciprocal-rank fusion. */
  method: BlendMethod;
  /** Weight of the vector channel in [0, 1]; the lexical channel gets 1 − weight. */
  weight: number;
  /** RRF constant (default 60). */
  rrfK?: number;
  /** Weight in [0, 1) of the items' popularity prior (their share of training clicks, popularity.ts) mixed into the fused score; absent: 0. */
  prior?: number;
}

/** One row of a channel's best-first list. */
export interface ScoredRow {
  /** Item row. */
  row: number;
  /** The channel's raw score (higher is better). */
  score: number;
}

/** One fused row, with the raw channel scores that made it. */
export interface FusedRow {
  /** Item row. */
  row: number;
  /** Fused score. */
  score: number;
  /** Raw vector score, null when the vector channel did not return the row. */
  vector: number | null;
  /** Raw lexical score, null when the lexical channel did not return the row. */
  lexical: number | null;
}

/** The weights a blend is fitted over: 0, 0.1, …, 1 (exact decimals). */
export const BLEND_GRID: readonly number[] = Object.freeze(Array.from({ length: 11 }, (_, i) => i / 10));

/** Default RRF constant (Cormack et al.). */
export const RRF_K = 60;

const blendSchema = z
  .object({
    method: z.enum(["convex", "rrf"], { error: 'method must be "convex" or "rrf"' }),
    weight: z.number({ error: "weight must be a number in [0, 1] (the vector channel's share)" }).min(0, { error: "weight must be ≥ 0" }).max(1, { error: "weight must be ≤ 1" }),
    rrfK: z.number({ error: "rrfK must be a number > 0" }).positive({ error: "rrfK must be > 0" }).optional(),
    prior: z.number({ error: "prior must be a number in [0, 1) (the popularity prior's share)" }).min(0, { error: "prior must be ≥ 0" }).lt(1, { error: "prior must be < 1" }).optional(),
  })
  .strict();

/** Validate a blend (from config or a release); throws a CoreError naming the bad field. */
export function parseBlend(x: unknown): Blend {
  const b = parseOrThrow(blendSchema, x, "blend");
  return { method: b.method, weight: b.weight, ...(b.rrfK !== undefined ? { rrfK: b.rrfK } : {}), ...(b.prior ? { prior: b.prior } : {}) };
}

/** The text form of a blend on the command line: `W` (convex vector weight in [0, 1]), `convex:W` or `rrf:W`, each optionally `,prior:P`. */
export const BLEND_SPEC_HELP = "a vector weight in [0, 1] such as 0.7, or rrf:W / convex:W, optionally with ,prior:P (popularity prior in [0, 1))";

/** Parse `W`, `convex:W` or `rrf:W`, optionally followed by `,prior:P` (one home for publish's `--blend` and eval's `--fixed-blend`); null when malformed. */
export function parseBlendSpec(v: string): Blend | null {
  const m = /^(?:(convex|rrf):)?([0-9]*\.?[0-9]+)(?:,prior:([0-9]*\.?[0-9]+))?$/.exec(v);
  const w = m ? Number(m[2]) : Number.NaN;
  const p = m?.[3] === undefined ? 0 : Number(m[3]);
  if (!m || !(w >= 0 && w <= 1) || !(p >= 0 && p < 1)) return null;
  return { method: (m[1] ?? "convex") as BlendMethod, weight: w, ...(p > 0 ? { prior: p } : {}) };
}

/** A blend as a short label: "w 0.6", "rrf w 0.5", "w 0.6 prior 0.2". */
export function blendLabel(b: Blend): string {
  return `${b.method === "rrf" ? "rrf " : ""}w ${b.weight}${b.prior ? ` prior ${b.prior}` : ""}`;
}

interface Entry {
  row: number;
  vector: number | null;
  lexical: number | null;
  /** 1-based rank in each list; Infinity when absent. */
  vRank: number;
  lRank: number;
  score: number;
}

/**
 * Fuse two best-first lists into the top k (fused desc; ties → the heavier channel's rank, then the
 * other's, then lower row). Each channel scores through its best `scoredDepth` rows only (their
 * min–max, their ranks); rows past them still come, after, in rank order. With a fixed scoredDepth a
 * row's fused score does not depend on how deep the channels were searched, so a deeper search only
 * appends to the ranking (pagination: every page is a slice of one list). Default: every row scores.
 *
 * With `blend.prior` = p > 0 and a `popularity` column (one value in [0, 1] per row), a scored row's
 * score is (1 − p) · channels + p · popularity, the channels' part scaled to [0, 1] (RRF's by rrfK + 1):
 * the prior reorders the rows the weighted channels found and never brings in one they did not.
 */
export function fuse(vector: readonly ScoredRow[], lexical: readonly ScoredRow[], blend: Blend, k: number, scoredDepth = Infinity, popularity: ArrayLike<number> | null = null): FusedRow[] {
  const w = blend.weight;
  if (!(w >= 0 && w <= 1)) throw new RangeError(`blend weight must be in [0, 1], got ${w}`);
  const rrfK = blend.rrfK ?? RRF_K;
  if (blend.method === "rrf" && !(rrfK > 0 && Number.isFinite(rrfK))) throw new RangeError(`rrfK must be a finite number > 0, got ${rrfK}`);
  const p = popularity ? (blend.prior ?? 0) : 0;
  if (!(p >= 0 && p < 1)) throw new RangeError(`blend prior must be in [0, 1), got ${p}`);
  if (!(k >= 1)) return [];
  const byRow = new Map<number, Entry>();
  // A row repeated inside one list keeps its first (best) place.
  vector.forEach((h, i) => {
    if (!byRow.has(h.row)) byRow.set(h.row, { row: h.row, vector: h.score, lexical: null, vRank: i + 1, lRank: Infinity, score: 0 });
  });
  lexical.forEach((h, i) => {
    const e = byRow.get(h.row);
    if (!e) byRow.set(h.row, { row: h.row, vector: null, lexical: h.score, vRank: Infinity, lRank: i + 1, score: 0 });
    else if (e.lexical === null) {
      e.lexical = h.score;
      e.lRank = i + 1;
    }
  });
  const entries = [...byRow.values()];
  // A rank past scoredDepth scores as absent (0).
  const d = scoredDepth;
  if (blend.method === "convex") {
    const nv = normaliser(vector.length > d ? vector.slice(0, d) : vector);
    const nl = normaliser(lexical.length > d ? lexical.slice(0, d) : lexical);
    for (const e of entries) e.score = w * (e.vector === null || e.vRank > d ? 0 : nv(e.vector)) + (1 - w) * (e.lexical === null || e.lRank > d ? 0 : nl(e.lexical));
  } else {
    for (const e of entries) e.score = (e.vRank > d ? 0 : w / (rrfK + e.vRank)) + (e.lRank > d ? 0 : (1 - w) / (rrfK + e.lRank)); // x / ∞ = 0 when absent
  }
  if (p > 0) {
    const scale = blend.method === "rrf" ? rrfK + 1 : 1;
    // Only rows a weighted channel scored take the prior: rows past scoredDepth keep coming after
    // them (pagination), and a channel at weight 0 brings no row forward.
    const scored = (e: Entry) => (w > 0 && e.vRank <= d) || (w < 1 && e.lRank <= d);
    for (const e of entries) if (scored(e)) e.score = (1 - p) * scale * e.score + p * (popularity![e.row] ?? 0);
  }
  // A channel's minimum normalises to 0, the same as absence, so ties are common: break them by
  // the heavier channel's list order first. Weight 1 then reproduces the vector list followed by
  // lexical-only rows in lexical order; weight 0 the lexical list, then vector-only rows.
  // Ranks within scoredDepth decide first (they are known at any depth), then the deeper ranks.
  const vectorFirst = w >= 0.5;
  const capped = (r: number) => (r > d ? Infinity : r);
  entries.sort((a, b) => {
    if (a.score !== b.score) return b.score - a.score;
    const [a1, b1, a2, b2] = vectorFirst ? [a.vRank, b.vRank, a.lRank, b.lRank] : [a.lRank, b.lRank, a.vRank, b.vRank];
    for (const [x, y] of [
      [capped(a1), capped(b1)],
      [capped(a2), capped(b2)],
      [a1, b1],
      [a2, b2],
    ] as const) {
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.row - b.row;
  });
  return entries.slice(0, Math.floor(k)).map(({ row, score, vector: v, lexical: l }) => ({ row, score, vector: v, lexical: l }));
}

/** Min–max normalisation over one channel's list; a flat list maps to 1. */
function normaliser(list: readonly ScoredRow[]): (x: number) => number {
  let lo = Infinity,
    hi = -Infinity;
  for (const h of list) {
    if (h.score < lo) lo = h.score;
    if (h.score > hi) hi = h.score;
  }
  const span = hi - lo;
  return span > 0 ? (x) => (x - lo) / span : () => 1;
}
