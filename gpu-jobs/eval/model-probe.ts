// The probe of one model (issue #17): its item vectors as published (title + image) and its item
// vectors with the title masked (the item tower fed an all-[PAD] title, so only the image side
// contributes; items with an image only), each through the cross-validated linear probe. Also the
// cells and lines the reports and the model card show.
import type { TrainingItems } from "../data/index.ts";
import { linearProbe, type ProbeOptions, type ProbeResult } from "./probe.ts";

/** A model's two probes. */
export interface ModelProbe {
  /** Item vectors as published (null: fewer than two categories to tell apart). */
  published: ProbeResult | null;
  /** Item vectors with the title masked, over items with an image (null: not encoded, or too few classes). */
  titleMasked: ProbeResult | null;
}

/** Item vectors of one model, as the probe takes them. */
export interface ProbedVectors {
  /** n × dim vectors as published, catalog order. */
  items: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** n × dim vectors with the title masked, catalog order (absent: no masked probe). */
  maskedItems?: Float32Array;
}

/** Both probes of a model's vectors over the catalog's categories. */
export function probeModel(items: Pick<TrainingItems, "ids" | "categories" | "textOnly">, v: ProbedVectors, opts: ProbeOptions = {}): ModelProbe {
  const published = linearProbe({ vectors: v.items, dim: v.dim, ids: items.ids, categories: items.categories }, opts);
  const withImage = items.textOnly.flatMap((t, r) => (t ? [] : [r]));
  const titleMasked = v.maskedItems && withImage.length ? linearProbe({ vectors: v.maskedItems, dim: v.dim, ids: items.ids, categories: items.categories, rows: withImage }, opts) : null;
  return { published, titleMasked };
}

/** The probe of a run's vectors in an eval (`vitrine eval`: `variant.probe = probeRun(ctx, run)`). */
export function probeRun(ctx: { data: { items: Pick<TrainingItems, "ids" | "categories" | "textOnly"> } }, v: ProbedVectors): ModelProbe {
  return probeModel(ctx.data.items, v);
}

/** Several seeds' probes of one ablation row: accuracies and baselines averaged, sd over the seeds and `foldAccuracy` holding each seed's accuracy (one seed: its probe unchanged, sd over folds). */
export function meanProbe(probes: readonly ModelProbe[]): ModelProbe {
  const avg = (rs: (ProbeResult | null)[]): ProbeResult | null => {
    if (rs.length === 0 || rs.some((r) => r === null)) return null;
    const ok = rs as ProbeResult[];
    if (ok.length === 1) return ok[0]!;
    const acc = ok.map((r) => r.accuracy);
    const m = acc.reduce((a, b) => a + b, 0) / acc.length;
    const sd = Math.sqrt(acc.reduce((a, b) => a + (b - m) ** 2, 0) / (acc.length - 1));
    return { ...ok[0]!, accuracy: m, sd, foldAccuracy: acc, majority: ok.reduce((a, r) => a + r.majority, 0) / ok.length, seeds: ok.length };
  };
  return { published: avg(probes.map((p) => p.published)), titleMasked: avg(probes.map((p) => p.titleMasked)) };
}

/** "87.3 ± 1.2" (percent, mean ± sd); "—" when there is no probe. */
export function probeCell(p: ProbeResult | null | undefined, sd: number | null | undefined = p?.sd): string {
  if (!p) return "—";
  return `${(100 * p.accuracy).toFixed(1)} ± ${sd == null ? "n/a" : (100 * sd).toFixed(1)}`;
}

function describe(p: ProbeResult): string {
  const dropped = p.droppedClasses ? `, ${p.droppedClasses} class${p.droppedClasses === 1 ? "" : "es"} (${p.droppedItems} items) with fewer items than folds dropped` : "";
  return `${(100 * p.accuracy).toFixed(1)}% ± ${p.sd === null ? "n/a" : (100 * p.sd).toFixed(1)} over ${p.seeds ? `${p.seeds} seeds (${p.folds} folds each)` : `${p.folds} folds`} (${p.items} items, ${p.classes} classes${dropped}; majority class ${(100 * p.majority).toFixed(1)}%)`;
}

/** One line per model: both probes with their sizes and majority baselines. */
export function probeLine(name: string, p: ModelProbe): string {
  const pub = p.published ? describe(p.published) : "no probe (fewer than two categories with enough items)";
  const masked = p.titleMasked ? describe(p.titleMasked) : "not measured";
  return `Probe of ${name}: item vectors → category, ${pub}; title masked: ${masked}.`;
}

/** What the model card records: accuracies and baselines, rounded, without the per-fold arrays' noise digits. */
export function probeCard(p: ModelProbe): Record<string, unknown> {
  const one = (r: ProbeResult | null) =>
    r && {
      accuracy: round(r.accuracy),
      sd: r.sd === null ? null : round(r.sd),
      majority: round(r.majority),
      folds: r.folds,
      foldAccuracy: r.foldAccuracy.map(round),
      items: r.items,
      classes: r.classes,
      droppedClasses: r.droppedClasses,
      droppedItems: r.droppedItems,
      label: r.label,
    };
  return { published: one(p.published), titleMasked: one(p.titleMasked) };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
