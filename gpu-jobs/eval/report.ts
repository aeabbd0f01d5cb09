// `vitrine eval` output files: report.md (tables) and report.html (tables, Recall@K charts and
// example queries with their returned product images). Self-contained: inline CSS and SVG.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { recallChartSvg, type ChartSeries } from "./report-chart.ts";
import { escapeHtml, imageSrc } from "./report-html-util.ts";
import { probeLine } from "./model-probe.ts";
import { ksOf, markdownTable, setOf, sliceNames, tableCells, type VariantResult } from "./report-table.ts";

export { formatTable, markdownTable, type VariantResult } from "./report-table.ts";

/** One returned product in an example. */
export interface ExampleItem {
  /** Item id. */
  id: string;
  /** Title as in the catalog. */
  title: string;
  /** Image path (absolute or relative to the current directory) or URL; absent for text-only items. */
  image?: string | null;
  /** Whether it was clicked for the query in the held-out log. */
  clicked?: boolean;
  /** Whether judgments call it relevant (undefined: unjudged). */
  relevant?: boolean;
}

/** An example query and what one variant returned for it. */
export interface ExampleQuery {
  /** Query text. */
  query: string;
  /** Variant that produced the results. */
  variant: string;
  /** Top results, best first (the report shows the first five). */
  results: ExampleItem[];
}

/** A titled table of variants (e.g. one ablation study). */
export interface ReportGroup {
  /** Heading above the group's tables. */
  title: string;
  /** Its rows. */
  variants: VariantResult[];
}

/** Everything a report shows. */
export interface EvalReport {
  /** Heading, e.g. "Vitrine eval — demo, cpu preset". */
  title: string;
  /** Key/value lines under the heading: dataset, command, date, model versions. */
  meta?: Record<string, string>;
  /** Variants compared, one table row each (ignored when `groups` is given). */
  variants: VariantResult[];
  /** Several titled tables instead of one (e.g. the seed 003 and seed 001 ablations). */
  groups?: ReportGroup[];
  /** Paragraphs under the tables (failed variants, ANN recall, ...). */
  notes?: string[];
  /** K of the relevance and category consistency columns (default 10). */
  qualityK?: number;
  /** Example queries with returned products (HTML only). */
  examples?: ExampleQuery[];
}

/** Paths writeReport wrote. */
export interface WrittenReport {
  /** report.md. */
  markdown: string;
  /** report.html. */
  html: string;
}

const NOTE =
  "Recall@K (seed 001 eq. 4) averages |top-K ∩ clicked| / |clicked| over held-out queries; HitRate@K is the share of queries with a click in the top K; " +
  "NDCG@10 is graded where judgments exist; relevance (eq. 5) and category consistency (eq. 6) are shares of the retrieved top K. " +
  "In a slice, targets, judged items and counted retrieved items are limited to the slice's (query, item) pairs. Values in %.";

const PROBE_NOTE =
  "probe acc: a linear probe (softmax regression, L2, 5-fold cross-validated, folds by a hash of the item id) tells each item's category path from its item vector alone; " +
  "mean ± sd over folds (over seeds in rows averaged over several seeds). probe acc, title masked: the same on vectors the item tower computes from an empty title, " +
  "so only the image side contributes (items with an image only; a text-only model scores the majority-class baseline there).";

/** The probe's explanation and one line per probed variant; empty when no variant has a probe. */
function probeNotes(report: EvalReport): string[] {
  const probed = groupsOf(report)
    .flatMap((g) => g.variants)
    .filter((v) => v.probe);
  // A row can appear in several tables (as served and vectors alone): one line each.
  return probed.length ? [PROBE_NOTE, ...new Set(probed.map((v) => probeLine(v.name, v.probe!)))] : [];
}

/** Sections of the report: overall, then each slice. */
function sections(variants: readonly VariantResult[]): { label: string; slice?: string }[] {
  return [{ label: "Overall" }, ...sliceNames(variants).map((s) => ({ label: `Slice: ${s}`, slice: s }))];
}

/** The report's groups: the given ones, or one untitled group of `variants`. */
function groupsOf(report: EvalReport): { title?: string; variants: VariantResult[] }[] {
  return report.groups?.length ? report.groups : [{ variants: report.variants }];
}

/** report.md text. */
export function renderMarkdown(report: EvalReport): string {
  const qk = report.qualityK ?? 10;
  const out = [`# ${report.title}`, ""];
  for (const [k, v] of Object.entries(report.meta ?? {})) out.push(`- **${k}**: ${v}`);
  if (report.meta) out.push("");
  for (const g of groupsOf(report)) {
    // Titled groups push the section headings one level down.
    const h = g.title ? "###" : "##";
    if (g.title) out.push(`## ${g.title}`, "");
    for (const s of sections(g.variants)) {
      out.push(`${h} ${s.label}`, "", markdownTable(g.variants, { qualityK: qk, ...(s.slice !== undefined ? { slice: s.slice } : {}) }), "");
    }
  }
  for (const n of [...(report.notes ?? []), ...probeNotes(report)]) out.push(n, "");
  out.push(NOTE, "");
  return out.join("\n");
}

/** Recall@K series of every variant for a section. */
function seriesOf(variants: readonly VariantResult[], slice?: string): ChartSeries[] {
  const ks = ksOf(variants);
  return variants.map((v) => ({ name: v.name, points: ks.map((k): [number, number | null] => [k, setOf(v, slice)?.recall[k] ?? null]) }));
}

function htmlTable(variants: readonly VariantResult[], qualityK: number, slice?: string): string {
  const { header, rows } = tableCells(variants, { qualityK, ...(slice !== undefined ? { slice } : {}) });
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const trs = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join("")}</tr>`);
  // Wide tables scroll inside their box instead of widening the page.
  return `<div class="scroll"><table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${trs.join("\n")}\n</tbody>\n</table></div>`;
}

function htmlExample(dir: string, ex: ExampleQuery): string {
  const items = ex.results.slice(0, 5).map((it, i) => {
    const marks = [it.clicked ? "clicked" : "", it.relevant === true ? "relevant" : it.relevant === false ? "not relevant" : ""].filter(Boolean).join(", ");
    const img = it.image ? `<img src="${escapeHtml(imageSrc(dir, it.image))}" alt="${escapeHtml(it.title)}" width="96" height="96">` : `<div class="noimg">no image</div>`;
    const cls = it.clicked || it.relevant ? "hit" : "miss";
    return `<figure class="${cls}">${img}<figcaption>${i + 1}. ${escapeHtml(it.title)}${marks ? `<br><small>${escapeHtml(marks)}</small>` : ""}</figcaption></figure>`;
  });
  return `<section class="example">\n<h3>“${escapeHtml(ex.query)}” <small>(${escapeHtml(ex.variant)})</small></h3>\n<div class="row">\n${items.join("\n")}\n</div>\n</section>`;
}

const CSS = `body{font-family:sans-serif;margin:2em;max-width:1200px}.scroll{overflow-x:auto;max-width:100%}.chart svg{max-width:100%;height:auto}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}thead th,tbody th{text-align:left}thead th{background:#f4f4f4}
.row{display:flex;gap:12px;flex-wrap:wrap}figure{margin:0;width:120px;font-size:12px}figure img,.noimg{width:96px;height:96px;object-fit:contain;border:3px solid #ccc}
figure.hit img,figure.hit .noimg{border-color:#2ca02c}.noimg{display:flex;align-items:center;justify-content:center;color:#888}.note{color:#555;font-size:13px}`;

/** report.html text; image paths are made relative to `dir`, where the file will live. */
export function renderHtml(dir: string, report: EvalReport): string {
  const qk = report.qualityK ?? 10;
  const body: string[] = [`<h1>${escapeHtml(report.title)}</h1>`];
  const meta = Object.entries(report.meta ?? {});
  if (meta.length) body.push(`<ul>\n${meta.map(([k, v]) => `<li><b>${escapeHtml(k)}</b>: ${escapeHtml(v)}</li>`).join("\n")}\n</ul>`);
  for (const g of groupsOf(report)) {
    const h = g.title ? "h3" : "h2";
    if (g.title) body.push(`<h2>${escapeHtml(g.title)}</h2>`);
    for (const s of sections(g.variants)) {
      body.push(`<${h}>${escapeHtml(s.label)}</${h}>`, htmlTable(g.variants, qk, s.slice));
      body.push(`<div class="chart">${recallChartSvg(seriesOf(g.variants, s.slice), { title: `Recall@K — ${s.label}` })}</div>`);
    }
  }
  for (const n of [...(report.notes ?? []), ...probeNotes(report)]) body.push(`<p>${escapeHtml(n)}</p>`);
  body.push(`<p class="note">${escapeHtml(NOTE)}</p>`);
  if (report.examples?.length) {
    body.push(`<h2>Example queries</h2>`, `<p class="note">Top 5 per query; a green border marks a clicked or relevant item.</p>`);
    for (const ex of report.examples) body.push(htmlExample(dir, ex));
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(report.title)}</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n${body.join("\n")}\n</body>\n</html>\n`;
}

/** Write report.md and report.html into `dir` (created when missing). */
export async function writeReport(dir: string, report: EvalReport): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const markdown = join(dir, "report.md");
  const html = join(dir, "report.html");
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(html, renderHtml(dir, report));
  return { markdown, html };
}
