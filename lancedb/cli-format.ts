// Plain-text tables for `vitrine publish` and `vitrine releases`.
import type { ReleaseInfo } from "../core/index.ts";
import type { GcResult } from "./gc.ts";
import type { SwitchResult } from "./release-switch.ts";

/** Left-aligned columns separated by two spaces, with a dashed rule under the header. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [fmt(head), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

/** "ivf_hnsw_sq (m=20, ef=200, ...)" */
function indexText(i: ReleaseInfo["index"]): string {
  const p = Object.entries(i.params).filter(([k]) => k !== "distance" && k !== "exact_threshold");
  return p.length ? `${i.kind} (${p.map(([k, v]) => `${k}=${v}`).join(", ")})` : i.kind;
}

/** "vectors 0.7 + BM25 0.3", or "vectors alone"; then ", popularity 0.2" when the prior is on. */
export function blendText(r: ReleaseInfo): string {
  const { lexical, blend } = r.retrieval;
  const w = blend.weight;
  const channels = lexical ? `${blend.method === "rrf" ? "rrf " : ""}vectors ${w.toFixed(1)} + BM25 ${(1 - w).toFixed(1)}` : "vectors alone";
  return blend.prior ? `${channels}, popularity ${blend.prior.toFixed(1)}` : channels;
}

/** The end-of-publish summary. */
export function formatPublished(r: ReleaseInfo, seconds: number): string {
  return [
    table(
      ["release", "items", "qids", "dim", "model", "index", "blend", "active"],
      [[r.id, String(r.items), String(r.qids), String(r.dim), r.model, indexText(r.index), blendText(r), r.active ? "yes" : "no"]],
    ),
    "",
    `time: ${seconds.toFixed(1)} s`,
    r.active ? `serving ${r.id} now (roll back with \`vitrine releases rollback\`)` : `not activated; activate with \`vitrine releases activate ${r.id}\``,
  ].join("\n");
}

/** `vitrine releases list`. */
export function formatReleases(rs: ReleaseInfo[]): string {
  if (rs.length === 0) return "no releases yet; run `vitrine publish --data DIR`";
  const edge = rs.some((r) => r.edge);
  return table(
    ["", "release", "created", "items", "qids", "dim", "model", "index", ...(edge ? ["edge"] : [])],
    rs.map((r) => [r.active ? "*" : "", r.id, r.createdAt, String(r.items), String(r.qids), String(r.dim), r.model, indexText(r.index), ...(edge ? [r.edge ?? ""] : [])]),
  );
}

/** `vitrine releases activate|rollback`. */
export function formatSwitch(r: SwitchResult, rolledBack: boolean): string {
  const origin = `active: ${r.release.id}${rolledBack ? " (rolled back)" : ""}`;
  if (!r.edge) return origin;
  const pushed = r.edge.pushed ? ` (its ${r.edge.pushed.qids} qid lists pushed first, ${r.edge.pushed.seconds.toFixed(1)} s)` : "";
  return `${origin}\nedge: pointer → ${r.edge.release}${pushed}`;
}

/** `vitrine releases gc`. */
export function formatGc(g: GcResult): string {
  return [
    `kept: ${g.kept.join(", ") || "none"}`,
    `removed: ${g.removed.join(", ") || "none"}`,
    `dropped tables: ${g.droppedTables.length ? g.droppedTables.join(", ") : "none"}`,
    ...(g.edge ? [`edge: deleted ${g.edge.deletedKeys} KV keys of ${g.edge.releases.join(", ") || "no release"}`] : []),
  ].join("\n");
}
