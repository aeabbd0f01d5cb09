// Ablation rows over several training seeds: metric tables averaged per field, and a compact
// mean ± sd table of the numbers a default is chosen by (unseen pairs, the top of the list, the
// title-omits slice), so one lucky seed cannot decide a default (DESIGN §8).
import type { MetricSet, MetricsTable } from "../../core/index.ts";
import { SLICES } from "./eval-context.ts";
import type { ModelProbe } from "./model-probe.ts";
import { markdownGrid, PROBE_COLUMNS } from "./report-table.ts";
import { TITLE_NAMES_SLICE, TITLE_OMITS_SLICE } from "./slices.ts";

/** One ablation row's results, one entry per seed. */
export interface SeedRow {
  /** Row label. */
  label: string;
  /** Seeds, parallel to `tables`. */
  seeds: number[];
  /** Metrics per seed. */
  tables: MetricsTable[];
  /** Fitted vector weight per seed (served rows). */
  weights?: number[];
  /** Fitted popularity-prior weight per seed (served rows of candidates fitted with a prior). */
  priors?: number[];
  /** The linear probe of the row's item vectors per seed (parallel to `seeds`; absent: not probed). */
  probes?: ModelProbe[];
}

const meanOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === xs.length && v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** Sample standard deviation (n − 1); null for fewer than two values or when any value is undefined. */
export function sd(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  if (v.length !== xs.length || v.length < 2) return null;
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

function meanSet(sets: MetricSet[]): MetricSet {
  const byK = (pick: (m: MetricSet) => Record<number, number | null>) =>
    Object.fromEntries(Object.keys(pick(sets[0]!)).map((k) => [k, meanOf(sets.map((m) => pick(m)[Number(k)] ?? null))])) as Record<number, number | null>;
  return {
    queries: sets[0]!.queries,
    recall: byK((m) => m.recall),
    hitRate: byK((m) => m.hitRate),
    ndcg10: meanOf(sets.map((m) => m.ndcg10)),
    relevance: byK((m) => m.relevance),
    categoryConsistency: byK((m) => m.categoryConsistency),
  };
}

/** Field-wise mean of several seeds' tables (same queries and slices). */
export function meanMetrics(tables: readonly MetricsTable[]): MetricsTable {
  if (tables.length === 0) throw new RangeError("meanMetrics needs at least one table");
  const slices: Record<string, MetricSet> = {};
  for (const name of Object.keys(tables[0]!.slices)) slices[name] = meanSet(tables.map((t) => t.slices[name]!));
  return { ks: tables[0]!.ks, overall: meanSet(tables.map((t) => t.overall)), slices };
}

type Pick = { head: string; get: (t: MetricsTable) => number | null | undefined };

const COLUMNS: Pick[] = [
  { head: "unseen R@10", get: (t) => t.slices[SLICES.unseen]?.recall[10] },
  { head: "unseen R@100", get: (t) => t.slices[SLICES.unseen]?.recall[100] },
  { head: "unseen NDCG@10", get: (t) => t.slices[SLICES.unseen]?.ndcg10 },
  // Recall@10 of broad queries is mostly popularity among equally relevant items; narrow ones show relevance.
  { head: "unseen broad R@10", get: (t) => t.slices[SLICES.unseenBroad]?.recall[10] },
  { head: "unseen narrow R@10", get: (t) => t.slices[SLICES.unseenNarrow]?.recall[10] },
  { head: "unseen narrow NDCG@10", get: (t) => t.slices[SLICES.unseenNarrow]?.ndcg10 },
  { head: "tail R@100", get: (t) => t.slices[SLICES.tail]?.recall[100] },
  { head: "cold R@10", get: (t) => t.slices[SLICES.cold]?.recall[10] },
  { head: "cold R@100", get: (t) => t.slices[SLICES.cold]?.recall[100] },
  { head: "title-omits R@100", get: (t) => t.slices[TITLE_OMITS_SLICE]?.recall[100] },
  { head: "title-names R@100", get: (t) => t.slices[TITLE_NAMES_SLICE]?.recall[100] },
  { head: "overall NDCG@10", get: (t) => t.overall.ndcg10 },
];

// One seed has no spread to show: "n/a" says so rather than a misleading ± 0.0.
const fmt = (m: number | null, s: number | null) => (m === null ? "—" : `${(100 * m).toFixed(1)} ± ${s === null ? "n/a" : (100 * s).toFixed(1)}`);

/** A markdown table: one row per ablation row, mean ± sd over its seeds of the deciding metrics. */
export function seedSummary(rows: readonly SeedRow[]): string {
  const cols = COLUMNS.filter((c) => rows.some((r) => r.tables.some((t) => c.get(t) != null)));
  const withW = rows.some((r) => r.weights?.length);
  const withP = rows.some((r) => r.priors?.length);
  const withProbe = rows.some((r) => r.probes?.length);
  const head = ["Variant", "Seeds", ...(withW ? ["blend w"] : []), ...(withP ? ["prior"] : []), ...cols.map((c) => c.head), ...(withProbe ? PROBE_COLUMNS : [])];
  const lines = rows.map((r) => {
    const w = r.weights ?? [];
    const p = r.priors ?? [];
    const cells = cols.map((c) => {
      const xs = r.tables.map((t) => c.get(t) ?? null);
      return fmt(meanOf(xs), sd(xs));
    });
    // Probe accuracy over seeds: one value per seed, "—" when any seed lacks it.
    const probe = (pick: (p: ModelProbe) => number | undefined) => {
      const xs = r.probes?.length === r.seeds.length ? r.probes.map((p) => pick(p) ?? null) : [null];
      return fmt(meanOf(xs), sd(xs));
    };
    const probes = withProbe ? [probe((p) => p.published?.accuracy), probe((p) => p.titleMasked?.accuracy)] : [];
    return [
      r.label,
      r.seeds.join(","),
      ...(withW ? [w.length ? w.map((x) => x.toFixed(1)).join(",") : "—"] : []),
      ...(withP ? [p.length ? p.map((x) => x.toFixed(1)).join(",") : "—"] : []),
      ...cells,
      ...probes,
    ];
  });
  return markdownGrid(head, lines, 2);
}

/**
 * A markdown table of paired differences: each row against the row of the same label in `baseline`
 * (an earlier ablation run of the same runs, e.g. without the prior), seed by seed over the seeds
 * both have, as mean ± sd of (row − baseline). Pairing removes the spread between seeds that the
 * plain mean ± sd carries, so a small but consistent change shows. Rows and seeds without a
 * baseline are left out, and a line under the table says which.
 */
export function pairedSummary(rows: readonly SeedRow[], baseline: readonly SeedRow[]): string {
  const left: string[] = [];
  const pairs = rows.flatMap((r) => {
    const b = baseline.find((x) => x.label === r.label);
    const seeds = b ? r.seeds.filter((s) => b.seeds.includes(s)) : [];
    const missing = r.seeds.filter((s) => !seeds.includes(s));
    if (missing.length) left.push(`${r.label} ${b ? `seed${missing.length > 1 ? "s" : ""} ${missing.join(",")}` : "(no baseline row)"}`);
    return b && seeds.length ? [{ r, b, seeds }] : [];
  });
  if (pairs.length === 0) return "no row of this run has a baseline row with the same label and a common seed";
  const cols = COLUMNS.filter((c) => pairs.some(({ r }) => r.tables.some((t) => c.get(t) != null)));
  const head = ["Variant", "Seeds", ...cols.map((c) => `Δ ${c.head}`)];
  const lines = pairs.map(({ r, b, seeds }) => {
    const cells = cols.map((c) => {
      const xs = seeds.map((s) => {
        const now = c.get(r.tables[r.seeds.indexOf(s)]!);
        const before = c.get(b.tables[b.seeds.indexOf(s)]!);
        return now == null || before == null ? null : now - before;
      });
      const m = meanOf(xs);
      // The sign of the printed value: a mean of −0.0004 reads +0.0, not −0.0.
      return m === null ? "—" : `${Math.round(1000 * m) >= 0 ? "+" : "−"}${fmt(Math.abs(m), sd(xs))}`;
    });
    return [r.label, seeds.join(","), ...cells];
  });
  const table = markdownGrid(head, lines, 2);
  return left.length ? `${table}\n\nNot compared (no baseline): ${left.join("; ")}.` : table;
}

/** What `vitrine eval --ablations` writes to seeds.json: every row's metrics per seed. */
export interface AblationSeeds {
  /** The command that wrote it. */
  command: string;
  /** Per table and channels ("served": as served; "vectors": the vector channel alone), each row's seeds. */
  rows: { table: string; channels: "served" | "vectors"; row: SeedRow }[];
}

/** Parse a seeds.json (`file` names it in errors); throws a RangeError naming what is wrong. */
export function parseAblationSeeds(text: string, file: string): AblationSeeds {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${file} is not JSON (${(e as Error).message})`);
  }
  const rows = (v as AblationSeeds | null)?.rows;
  const ok =
    Array.isArray(rows) &&
    rows.every(
      (r) =>
        typeof r?.table === "string" &&
        (r.channels === "served" || r.channels === "vectors") &&
        typeof r.row?.label === "string" &&
        Array.isArray(r.row.seeds) &&
        Array.isArray(r.row.tables) &&
        r.row.seeds.length === r.row.tables.length &&
        r.row.tables.every((t: MetricsTable) => typeof t?.slices === "object" && t.slices !== null && typeof t.overall === "object"),
    );
  if (!ok) throw new RangeError(`${file} is not an ablation seeds.json (rows of { table, channels, row: { label, seeds, tables: [{ overall, slices }] } })`);
  return v as AblationSeeds;
}
