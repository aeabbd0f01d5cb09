// The retrain gate: the candidate, published as an inactive release, and the active release are
// both ranked exactly as they serve (gpu-jobs/eval: core's retrieve engine over each release's
// qid lists, blend and query encoder) on the test half of the held-out clicks, and compared on the
// pairs training never saw — the top of the list (NDCG@10) and its depth (Recall@100) by default.
// A memorising model wins on seen pairs and loses here, so it is refused.
import { DEFAULT_GATE_METRICS, DEFAULT_GATE_MIN_PAIRS, type GateCheck, type GateDecision, type GateMetric } from "../../core/jobs/index.ts";
import type { MetricSet, MetricsTable } from "../../core/index.ts";
import { SLICES } from "../eval/eval-context.ts";

/** How the gate decides. */
export interface GateOptions {
  /** Metrics that must each hold (default NDCG@10 and Recall@100). */
  metrics?: readonly GateMetric[];
  /** Largest drop allowed per metric, absolute. */
  tolerance: number;
  /** Fewest unseen held-out pairs to decide on (default 30). */
  minPairs?: number;
  /** Publish even when refused. */
  force?: boolean;
}

/** One metric out of a metric set, by its gate name. */
export function metricValue(m: MetricSet, metric: GateMetric): number {
  const [name, kText] = metric.split("@") as [string, string];
  const k = Number(kText);
  const v = name === "recall" ? m.recall[k] : name === "hitrate" ? m.hitRate[k] : m.ndcg10;
  return v ?? 0;
}

/** Flatten a metric set for a stage record: recall@10, hitrate@10, ndcg@10, ... */
export function flatMetrics(m: MetricSet, prefix = ""): Record<string, number | null> {
  const out: Record<string, number | null> = { [`${prefix}queries`]: m.queries };
  for (const [k, v] of Object.entries(m.recall)) out[`${prefix}recall@${k}`] = v;
  for (const [k, v] of Object.entries(m.hitRate)) out[`${prefix}hitrate@${k}`] = v;
  out[`${prefix}ndcg@10`] = m.ndcg10;
  return out;
}

/** The metric set the gate decides on: unseen pairs (the whole set when the slice is absent). */
export function gateSet(t: MetricsTable): MetricSet {
  return t.slices[SLICES.unseen] ?? t.overall;
}

const pct = (x: number) => (100 * x).toFixed(1);

/** Decide: every metric within tolerance of the active release on unseen pairs, with enough pairs to tell. */
export function decide(candidate: MetricsTable, active: MetricsTable | null, releases: { candidate: string | null; active: string | null }, pairs: number, opts: GateOptions): GateDecision {
  const metrics = opts.metrics?.length ? opts.metrics : DEFAULT_GATE_METRICS;
  const minPairs = opts.minPairs ?? DEFAULT_GATE_MIN_PAIRS;
  const c = gateSet(candidate);
  const a = active ? gateSet(active) : null;
  const checks: GateCheck[] = metrics.map((metric) => {
    const cv = metricValue(c, metric);
    const av = a ? metricValue(a, metric) : null;
    return { metric, candidate: cv, active: av, passed: av === null || cv >= av - opts.tolerance - 1e-12 };
  });
  const base = { slice: SLICES.unseen, checks, pairs, candidateRelease: releases.candidate, activeRelease: releases.active, tolerance: opts.tolerance };
  const line = checks
    .map((k) => `${k.metric} ${pct(k.candidate)}${k.active === null ? "" : ` vs ${pct(k.active)} (${k.candidate - k.active >= 0 ? "+" : ""}${pct(k.candidate - k.active)})`}`)
    .join(", ");
  const force = opts.force === true;
  if (!a) {
    return { ...base, passed: true, forced: false, message: `no active release to compare with; on ${pairs} unseen held-out pairs: ${line}` };
  }
  if (pairs < minPairs) {
    return {
      ...base,
      passed: false,
      forced: force,
      message:
        `only ${pairs} unseen held-out pairs (fewer than ${minPairs}): too few to tell the models apart, so the gate does not decide; ` +
        `hold out more clicks (--eval-fraction) or pass --force to publish anyway${force ? " (forced: published)" : ""}`,
    };
  }
  const passed = checks.every((k) => k.passed);
  const failedOn = checks
    .filter((k) => !k.passed)
    .map((k) => k.metric)
    .join(" and ");
  const verdict = passed ? "passes" : `refused (${failedOn} fell more than ${pct(opts.tolerance)} points): ${releases.active} stays active${force ? "; forced: published anyway" : ""}`;
  return { ...base, passed, forced: !passed && force, message: `on ${pairs} unseen held-out pairs vs ${releases.active}: ${line}; ${verdict}` };
}
