// The metrics table shared by the terminal, report.md and report.html: one row per variant, one
// column per metric, percentages with one decimal as in seed 003's table.
import type { MetricSet, MetricsTable } from "../../core/index.ts";
import { probeCell, type ModelProbe } from "./model-probe.ts";

/** One model or ablation variant and its scores. */
export interface VariantResult {
  /** Variant name, e.g. "text-only", "concat", "fusion (2 stages)". */
  name: string;
  /** Its metrics (overall and slices). */
  metrics: MetricsTable;
  /** Linear probe of its item vectors (shown in the overall table when any variant has one). */
  probe?: ModelProbe;
}

/** Column titles of the probe (overall table). */
export const PROBE_COLUMNS = ["probe acc", "probe acc, title masked"] as const;

/** Which table to build. */
export interface TableOptions {
  /** Slice name; absent = overall. */
  slice?: string;
  /** K of the relevance and category consistency columns (default 10). */
  qualityK?: number;
}

/** Header and formatted cells of one table. */
export interface TableCells {
  /** Column titles. */
  header: string[];
  /** One row of cells per variant. */
  rows: string[][];
}

/** Percent with one decimal; "—" where the metric is undefined. */
export function pct(x: number | null | undefined): string {
  return x == null || Number.isNaN(x) ? "—" : (100 * x).toFixed(1);
}

/** Cut-offs present in any variant, ascending. */
export function ksOf(variants: readonly VariantResult[]): number[] {
  return [...new Set(variants.flatMap((v) => v.metrics.ks))].sort((a, b) => a - b);
}

/** Slice names present in any variant, in first-seen order. */
export function sliceNames(variants: readonly VariantResult[]): string[] {
  return [...new Set(variants.flatMap((v) => Object.keys(v.metrics.slices)))];
}

/** The metric set a table shows for a variant (undefined when the variant lacks the slice). */
export function setOf(v: VariantResult, slice?: string): MetricSet | undefined {
  return slice === undefined ? v.metrics.overall : v.metrics.slices[slice];
}

/** Header and cells of the metrics table. */
export function tableCells(variants: readonly VariantResult[], opts: TableOptions = {}): TableCells {
  const ks = ksOf(variants);
  const qk = opts.qualityK ?? 10;
  // The probe is a property of the item vectors, not of a slice of queries: overall table only.
  const probe = opts.slice === undefined && variants.some((v) => v.probe);
  const header = ["Variant", "Queries", ...ks.map((k) => `Recall@${k}`), ...ks.map((k) => `HitRate@${k}`), "NDCG@10", `Relevance@${qk}`, `CategoryCons@${qk}`, ...(probe ? PROBE_COLUMNS : [])];
  const rows = variants.map((v) => {
    const m = setOf(v, opts.slice);
    const probeCells = probe ? [probeCell(v.probe?.published), probeCell(v.probe?.titleMasked)] : [];
    if (!m) return [v.name, ...header.slice(1, header.length - probeCells.length).map(() => "—"), ...probeCells];
    return [v.name, String(m.queries), ...ks.map((k) => pct(m.recall[k])), ...ks.map((k) => pct(m.hitRate[k])), pct(m.ndcg10), pct(m.relevance[qk]), pct(m.categoryConsistency[qk]), ...probeCells];
  });
  return { header, rows };
}

/** The metrics table as aligned plain text for the terminal (overall, then each slice). */
export function formatTable(variants: readonly VariantResult[], opts: Omit<TableOptions, "slice"> = {}): string {
  const sections: string[] = [];
  for (const slice of [undefined, ...sliceNames(variants)]) {
    const { header, rows } = tableCells(variants, { ...opts, ...(slice !== undefined ? { slice } : {}) });
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    // Names left-aligned, numbers right-aligned so digits line up.
    const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join("  ");
    const rule = widths.map((w) => "─".repeat(w)).join("  ");
    sections.push([slice === undefined ? "Overall (%)" : `Slice: ${slice} (%)`, line(header), rule, ...rows.map(line)].join("\n"));
  }
  return sections.join("\n\n");
}

/** The metrics table as GitHub markdown. */
export function markdownTable(variants: readonly VariantResult[], opts: TableOptions = {}): string {
  const { header, rows } = tableCells(variants, opts);
  return markdownGrid(header, rows);
}

/** A GitHub markdown table: the first `textColumns` columns left-aligned, the rest (numbers) right-aligned; "|" in a cell escaped. */
export function markdownGrid(header: readonly string[], rows: readonly (readonly string[])[], textColumns = 1): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [`| ${header.map(esc).join(" | ")} |`, `|${header.map((_, c) => (c < textColumns ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}
