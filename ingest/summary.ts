import type { ImportSummary, RowCounts } from "../lancedb/index.ts";

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
    splitLine(s),
    rejected > 0 ? `rejects: ${rejected} rows in ${rejectsPath} (file, line, reason)` : "rejects: none",
    ...(s.warnings ?? []).map((w) => `warning: ${w}`),
  ].join("\n");
}

function splitLine(s: ImportSummary): string {
  const sp = s.split;
  if (sp.mode === "file") {
    return `held-out clicks: from their own file; ${sp.heldOutPairs} (query, item) pairs, ${sp.heldOutPairsSeenInTraining} of them also in the training clicks`;
  }
  if (s.clicks.imported + s.clicksEval.imported === 0) return "held-out clicks: none (no click log)";
  if (s.clicksEval.imported === 0) {
    return `held-out clicks: none — --split ${sp.mode} with --eval-fraction ${sp.fraction} held out nothing from ${s.clicks.imported} rows; eval and the retrain gate need held-out clicks: raise --eval-fraction or pass --eval-clicks FILE`;
  }
  const by = sp.mode === "pair" ? "by (query, item) pair: none of them occurs in training" : sp.mode === "time" ? "the latest rows by ts" : "random rows";
  return `held-out clicks: ${s.clicksEval.imported} rows, ${sp.heldOutPairs} pairs (${by}; ${sp.heldOutPairsSeenInTraining} pairs also in training)`;
}
