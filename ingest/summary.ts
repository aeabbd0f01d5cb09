import type { ImportSummary, RowCounts } from "./manifest.ts";

/** The end-of-import table: counts per input, image outcomes, where the rejects are. */
export function formatSummary(s: ImportSummary, rejectsPath: string): string {
  const rows: [string, RowCounts][] = [
    ["catalog", s.catalog],
    ["clicks (train)", s.clicks],
    ["clicks (eval)", s.clicksEval],
    ["judgments", s.judgments],
  ];
  const head = ["input", "read", "imported", "rejected"];
  const body = rows.map(([name, c]) => [name, String(c.read), String(c.imported), String(c.rejected)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const rejected = rows.reduce((n, [, c]) => n + c.rejected, 0);
  const rate = s.seconds > 0 ? Math.round(s.catalog.read / s.seconds) : 0;
  return [
    fmt(head),
    fmt(widths.map((w) => "-".repeat(w))),
    ...body.map(fmt),
    "",
    `images: ${s.catalog.imagesOk} ok (${s.catalog.imageCacheHits} from cache), ${s.catalog.imagesFailed} unusable; ${s.catalog.textOnly} items text-only`,
    `time: ${s.seconds.toFixed(1)} s (${rate} catalog rows/s)`,
    rejected > 0 ? `rejects: ${rejected} rows in ${rejectsPath} (file, line, reason)` : "rejects: none",
  ].join("\n");
}
