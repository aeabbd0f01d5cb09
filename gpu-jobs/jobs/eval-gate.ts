// The eval stage of retrain: the candidate (an exported model's query graph and `vitrine embed`'s
// item vectors) and the active release (its stored vectors and the query encoder it serves with)
// ranked by exact top-K on the same held-out clicks, and the gate's decision from one metric.
import type { GateDecision } from "../../api/jobs/types.ts";
import type { GateMetric } from "../../api/jobs/schemas.ts";
import type { TextEncoder } from "../../core/index.ts";
import { readEmbeddings } from "../embed/embed-catalog.ts";
import { scoreVectors, type EvalContext } from "../eval/eval-context.ts";
import type { MetricSet } from "../eval/index.ts";
import { TrainError } from "../errors.ts";

/** Item vectors by id (any order) and the encoder for queries. */
export interface Ranker {
  /** What is being evaluated, for messages. */
  name: string;
  /** Item vectors, row-major in `ids` order. */
  vectors: Float32Array;
  /** Item id per row. */
  ids: string[];
  dim: number;
  /** Query encoder. */
  encoder: TextEncoder;
}

/** Reorder a ranker's vectors to the eval set's rows; items the ranker lacks get a zero vector (never ranked first). */
function aligned(ctx: EvalContext, r: Ranker): Float32Array {
  const itemIds = ctx.data.items.ids;
  const rowOf = new Map(r.ids.map((id, i) => [id, i]));
  const out = new Float32Array(itemIds.length * r.dim);
  let missing = 0;
  itemIds.forEach((id, i) => {
    const j = rowOf.get(id);
    if (j === undefined) missing++;
    else out.set(r.vectors.subarray(j * r.dim, (j + 1) * r.dim), i * r.dim);
  });
  if (missing > itemIds.length / 2) throw new TrainError("BAD_CONFIG", `${r.name}: ${missing} of ${itemIds.length} catalog items have no vector; embed the current catalog first`);
  return out;
}

/** Rank the held-out queries with one ranker, exactly as `vitrine eval` does; the overall metrics. */
export async function evaluateRanker(ctx: EvalContext, r: Ranker): Promise<MetricSet> {
  const qv = await r.encoder.encode(ctx.queries);
  const queries = new Float32Array(qv.length * r.dim);
  qv.forEach((v, i) => queries.set(v, i * r.dim));
  return scoreVectors(ctx, r.name, { items: aligned(ctx, r), queries, dim: r.dim }).variant.metrics.overall;
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

/** The candidate's ranker: `vitrine embed`'s vectors and the model's query graph. */
export async function candidateRanker(dataDir: string, encoder: TextEncoder): Promise<Ranker> {
  const ids: string[] = [];
  const chunks: Float32Array[] = [];
  for await (const row of readEmbeddings(dataDir)) {
    ids.push(row.id);
    chunks.push(row.vector);
  }
  const vectors = new Float32Array(ids.length * encoder.dim);
  chunks.forEach((v, i) => vectors.set(v, i * encoder.dim));
  return { name: "candidate model", vectors, ids, dim: encoder.dim, encoder };
}

/** The active release's ranker (null when no release is active). */
export async function activeRanker(dataDir: string): Promise<(Ranker & { release: string }) | null> {
  const { getActiveRelease, openRelease } = await import("../../lancedb/index.ts");
  if (!(await getActiveRelease(dataDir))) return null;
  const { loadReleaseIndex } = await import("../../lancedb/release-index.ts");
  const { queryEncoderFor } = await import("../../api/service/query-encoder.ts");
  const handles = await openRelease(dataDir);
  const index = await loadReleaseIndex(handles);
  return { name: `release ${handles.info.id}`, release: handles.info.id, vectors: index.vectors, ids: index.ids, dim: index.dim, encoder: await queryEncoderFor(handles) };
}

/** The gate: publish unless the candidate falls below the active release by more than `tolerance`. */
export function decide(metric: GateMetric, candidate: number, active: number | null, activeRelease: string | null, tolerance: number): GateDecision {
  const pct = (x: number) => `${(100 * x).toFixed(1)}`;
  if (active === null) {
    return { metric, candidate, active, activeRelease, tolerance, passed: true, message: `no active release to compare with; ${metric} ${pct(candidate)}` };
  }
  const passed = candidate >= active - tolerance - 1e-12;
  const delta = candidate - active;
  const verdict = passed ? "passes" : "refused: the active release stays";
  return {
    metric,
    candidate,
    active,
    activeRelease,
    tolerance,
    passed,
    message: `${metric} ${pct(candidate)} vs ${pct(active)} for ${activeRelease} (${delta >= 0 ? "+" : ""}${pct(delta)} points, tolerance ${pct(tolerance)}): ${verdict}`,
  };
}
