// Inline SVG line chart of Recall@K against K, one line per variant (no chart library: a few
// dozen elements, readable offline in any browser).
import { escapeHtml } from "./report-html-util.ts";

/** One line of the chart. */
export interface ChartSeries {
  /** Legend label. */
  name: string;
  /** [K, recall] points; null recalls are skipped. */
  points: [number, number | null][];
}

/** Chart layout. */
export interface ChartOptions {
  /** Title drawn above the plot. */
  title: string;
  /** Width in px (default 560; widened for long legend names). */
  width?: number;
  /** Height in px (default 320). */
  height?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const f1 = (x: number) => x.toFixed(1);

/** SVG markup of Recall@K vs K; x on a log scale (K = 10…200 spreads evenly), y zoomed to the data in 10-point steps. */
export function recallChartSvg(series: readonly ChartSeries[], opts: ChartOptions): string {
  const h = opts.height ?? 320;
  // The legend column grows with the longest variant name (~7 px a character at 12 px).
  const right = Math.max(150, 44 + 7 * Math.max(0, ...series.map((s) => s.name.length)));
  const w = Math.max(opts.width ?? 560, right + 300);
  const m = { left: 52, right, top: 30, bottom: 42 };
  const ks = [...new Set(series.flatMap((s) => s.points.map(([k]) => k)))].filter((k) => k > 0).sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== null);
  // y zooms to the data so a few points' difference is visible; the tick labels say where it starts.
  let y0 = ys.length ? Math.floor(Math.min(...ys) * 10) / 10 : 0;
  let y1 = ys.length ? Math.ceil(Math.max(...ys) * 10) / 10 : 1;
  if (y1 - y0 < 0.1) [y0, y1] = [Math.max(0, y1 - 0.1), Math.max(y1, 0.1)];
  const lk0 = Math.log(ks[0] ?? 1);
  const lk1 = Math.log(ks[ks.length - 1] ?? 10);
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const x = (k: number) => m.left + (lk1 > lk0 ? ((Math.log(k) - lk0) / (lk1 - lk0)) * pw : pw / 2);
  const y = (v: number) => m.top + (1 - (v - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(opts.title)}" font-family="sans-serif" font-size="12">`);
  out.push(`<text x="${m.left}" y="18" font-weight="bold">${escapeHtml(opts.title)}</text>`);
  const steps = Math.round((y1 - y0) / 0.1);
  for (let i = 0; i <= steps; i++) {
    const v = y0 + i * 0.1;
    out.push(`<line x1="${m.left}" y1="${f1(y(v))}" x2="${m.left + pw}" y2="${f1(y(v))}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 6}" y="${f1(y(v) + 4)}" text-anchor="end">${(100 * v).toFixed(0)}%</text>`);
  }
  for (const k of ks) {
    out.push(`<line x1="${f1(x(k))}" y1="${m.top}" x2="${f1(x(k))}" y2="${m.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f1(x(k))}" y="${m.top + ph + 16}" text-anchor="middle">${k}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${h - 6}" text-anchor="middle">K</text>`);
  out.push(`<text x="14" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + ph / 2})">Recall@K</text>`);
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p): p is [number, number] => p[1] !== null && p[0] > 0).sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([k, v]) => `${f1(x(k))},${f1(y(v))}`).join(" ")}"/>`);
    for (const [k, v] of pts) out.push(`<circle cx="${f1(x(k))}" cy="${f1(y(v))}" r="3" fill="${c}"><title>${escapeHtml(s.name)} Recall@${k} = ${(100 * v).toFixed(1)}%</title></circle>`);
    const ly = m.top + 8 + i * 18;
    out.push(`<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 30}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw + 36}" y="${ly + 4}">${escapeHtml(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
