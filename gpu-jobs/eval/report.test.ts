import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { MetricSet, MetricsTable } from "../../core/index.ts";
import { imageSrc } from "./report-html-util.ts";
import type { ProbeResult } from "./probe.ts";
import { formatTable, writeReport, type VariantResult } from "./report.ts";

const KS = [10, 50, 100, 200];
const set = (r: number[], nd: number): MetricSet => ({
  queries: 240,
  recall: Object.fromEntries(KS.map((k, i) => [k, r[i]!])),
  hitRate: Object.fromEntries(KS.map((k, i) => [k, Math.min(1, r[i]! + 0.1)])),
  ndcg10: nd,
  relevance: Object.fromEntries(KS.map((k) => [k, 0.5])),
  categoryConsistency: Object.fromEntries(KS.map((k) => [k, k === 10 ? 0.875 : null])),
});
const table = (o: number[], s: number[]): MetricsTable => ({ ks: KS, overall: set(o, 0.412), slices: { "title omits queried attribute": set(s, 0.2) } });
const VARIANTS: VariantResult[] = [
  { name: "text-only", metrics: table([0.3, 0.5, 0.723, 0.8], [0.1, 0.2, 0.25, 0.3]) },
  { name: "concat", metrics: table([0.31, 0.52, 0.731, 0.81], [0.12, 0.3, 0.35, 0.4]) },
  { name: "fusion <2 stages>", metrics: table([0.35, 0.6, 0.774, 0.9], [0.2, 0.4, 0.5, 0.6]) },
];

/** Tags opened and closed in order (void elements and self-closing SVG tags skipped); returns the first problem. */
function tagProblem(html: string): string | null {
  const VOID = new Set(["meta", "img", "br", "hr", "input", "link", "source", "col", "area", "base", "wbr"]);
  const stack: string[] = [];
  const body = html.replace(/<!DOCTYPE[^>]*>/i, "").replace(/<style>[\s\S]*?<\/style>/, "");
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    const tag = name!.toLowerCase();
    if (self || (!close && VOID.has(tag))) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) return `unexpected </${tag}>`;
  }
  if (stack.length) return `unclosed <${stack.join(">, <")}>`;
  // Stray angle brackets in text mean something was not escaped.
  return /<(?![a-zA-Z/!])/.test(body) ? "unescaped <" : null;
}

describe("report", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("writes report.md and report.html with every variant, number, chart and example", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vitrine-report-"));
    dirs.push(dir);
    const out = join(dir, "out");
    const img = join(dir, "images", "item 1.png");
    const w = await writeReport(out, {
      title: "Vitrine eval — demo",
      meta: { dataset: "demo", command: "vitrine eval --ablations" },
      variants: VARIANTS,
      examples: [
        {
          query: "red striped dress",
          variant: "fusion <2 stages>",
          results: [
            { id: "i1", title: "Dress & co", image: img, clicked: true },
            { id: "i2", title: "Plain shirt", image: null, relevant: false },
          ],
        },
      ],
    });
    const md = await readFile(w.markdown, "utf8");
    const html = await readFile(w.html, "utf8");
    for (const v of VARIANTS) {
      expect(md).toContain(v.name);
      expect(html).toContain(v.name.replace("<", "&lt;").replace(">", "&gt;"));
    }
    for (const n of ["72.3", "73.1", "77.4", "41.2", "87.5", "50.0", "25.0", "60.0"]) {
      expect(md).toContain(n);
      expect(html).toContain(n);
    }
    expect(md).toContain("## Slice: title omits queried attribute");
    expect(md).toContain("| Variant | Queries | Recall@10 |");
    expect(md).toContain("| concat | 240 | 31.0 | 52.0 | 73.1 | 81.0 |");
    expect(tagProblem(html)).toBeNull();
    expect(html.match(/<svg /g)?.length).toBe(2); // overall + slice chart
    expect(html).toContain("<polyline");
    expect(html).toContain('src="../images/item%201.png"');
    expect(html).toContain("Dress &amp; co");
    expect(html).toContain("no image");
  });

  it("renders titled groups (one table and chart per group and section) and notes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vitrine-report-"));
    dirs.push(dir);
    const w = await writeReport(dir, {
      title: "ablations",
      variants: [],
      groups: [
        { title: "Item tower <seed 003>", variants: VARIANTS.slice(0, 2) },
        { title: "Negatives (seed 001)", variants: VARIANTS.slice(2) },
      ],
      notes: ["Failed (+CDNS): exit 3 <oom>"],
    });
    const md = await readFile(w.markdown, "utf8");
    const html = await readFile(w.html, "utf8");
    expect(md).toMatch(/## Item tower <seed 003>\n\n### Overall\n\n\| Variant [^\n]*\n[^\n]*\n\| text-only [^\n]*\n\| concat [^\n]*\n\n### Slice: title omits queried attribute/);
    expect(md).toMatch(/## Negatives \(seed 001\)\n\n### Overall\n\n\| Variant [^\n]*\n[^\n]*\n\| fusion <2 stages> [^\n]*\n\n/);
    expect(md).toContain("Failed (+CDNS): exit 3 <oom>");
    expect(tagProblem(html)).toBeNull();
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).toContain("<h2>Item tower &lt;seed 003&gt;</h2>");
    expect(html).toContain("<p>Failed (+CDNS): exit 3 &lt;oom&gt;</p>");
  });

  it("formats an aligned terminal table with — for missing values", () => {
    const partial: VariantResult = { name: "no-slices", metrics: { ks: KS, overall: set([0.1, 0.2, 0.3, 0.4], 0.1), slices: {} } };
    const t = formatTable([...VARIANTS, partial]);
    expect(t).toContain("Overall (%)");
    expect(t).toContain("Slice: title omits queried attribute (%)");
    const lines = t.split("\n").filter((l) => l.startsWith("fusion") || l.startsWith("text-only"));
    expect(new Set(lines.map((l) => l.length)).size).toBe(1); // columns aligned
    expect(t).toMatch(/no-slices\s+—/);
  });

  it("shows the probe columns in the overall table only, with a line per probed variant", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vitrine-report-"));
    dirs.push(dir);
    const probe = (accuracy: number, sd: number | null): ProbeResult => ({
      accuracy,
      sd,
      foldAccuracy: [accuracy],
      majority: 0.104,
      items: 5000,
      classes: 10,
      folds: 5,
      droppedClasses: 0,
      droppedItems: 0,
      label: "path",
    });
    const variants: VariantResult[] = [
      { ...VARIANTS[0]!, probe: { published: probe(0.912, 0.0123), titleMasked: probe(0.104, 0.004) } },
      { ...VARIANTS[2]!, probe: { published: probe(0.95, null), titleMasked: null } },
      VARIANTS[1]!,
    ];
    const w = await writeReport(dir, { title: "eval", variants });
    const md = await readFile(w.markdown, "utf8");
    expect(md).toMatch(/\| Variant \| Queries \|[^\n]*\| CategoryCons@10 \| probe acc \| probe acc, title masked \|/);
    expect(md).toMatch(/\| text-only \| 240 \|[^\n]*\| 91\.2 ± 1\.2 \| 10\.4 ± 0\.4 \|/);
    expect(md).toMatch(/\| fusion <2 stages> \|[^\n]*\| 95\.0 ± n\/a \| — \|/);
    expect(md).toMatch(/\| concat \|[^\n]*\| — \| — \|/);
    // Slices have no probe columns.
    const sliceTable = md.split("## Slice: title omits queried attribute")[1]!.split("\n\n")[1]!;
    expect(sliceTable).toMatch(/^\| Variant \|/);
    expect(sliceTable).not.toContain("probe acc");
    expect(md).toContain("Probe of text-only: item vectors → category, 91.2% ± 1.2 over 5 folds (5000 items, 10 classes; majority class 10.4%); title masked: 10.4%");
    expect(md).toContain("Probe of fusion <2 stages>: item vectors → category, 95.0% ± n/a");
    expect(md).toMatch(/probe acc: a linear probe/);
    expect(formatTable(variants).split("\n")[1]).toMatch(/probe acc {2}probe acc, title masked$/);
    expect(tagProblem(await readFile(w.html, "utf8"))).toBeNull();
  });

  it("tag checker catches what it should", () => {
    expect(tagProblem("<div><p>x</div>")).not.toBeNull();
    expect(tagProblem("<div><img src=x>1 < 2</div>")).toBe("unescaped <");
    expect(tagProblem('<svg><circle r="1"/></svg>')).toBeNull();
  });

  it("image paths become relative URLs, URLs pass through", () => {
    expect(imageSrc("/a/report", "/a/data/images/x.png")).toBe("../data/images/x.png");
    expect(imageSrc("/a/report", "https://x/y.png")).toBe("https://x/y.png");
  });
});
