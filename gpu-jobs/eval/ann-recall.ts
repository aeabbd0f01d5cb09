// `vitrine eval --ann`: how much of the exact top-K a release's ANN index would return. The
// vectors go into a throw-away LanceDB table with the index publish builds above its size
// threshold (IVF_HNSW_SQ, lancedb/vector-index.ts), queried with the same search settings.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { arrow, buildVectorIndex, planVectorIndex, searchItems, tableOf, uint32Column, vectorColumn, vectorType, type VectorIndexPlan } from "../../lancedb/index.ts";
import { exactTopKBatch } from "../../core/index.ts";

/** Options of annRecall. */
export interface AnnRecallOptions {
  /** n × dim item vectors, row-major. */
  items: Float32Array;
  /** q × dim query vectors. */
  queries: Float32Array;
  /** Vector dimension. */
  dim: number;
  /** Exact ranking per query (rows, best first), at least max(ks) long. */
  exact: readonly ArrayLike<number>[];
  /** Cut-offs to compare at (default 10 and 100). */
  ks?: readonly number[];
  /** Index to test (default: the IVF_HNSW_SQ publish uses, forced below its size threshold). */
  plan?: VectorIndexPlan;
}

/** ANN recall against exact search. */
export interface AnnRecall {
  /** The index tested, with its build and query parameters. */
  plan: VectorIndexPlan;
  /** Mean |ANN top-K ∩ exact top-K| / K per cut-off. */
  recall: Record<number, number>;
  /** Queries compared. */
  queries: number;
  /** Index build time, seconds. */
  buildSeconds: number;
  /** Mean search latency, milliseconds (one query at a time). */
  msPerQuery: number;
}

/** Build the index over `items` in a temporary database and measure its recall against `exact`. */
export async function annRecall(opts: AnnRecallOptions): Promise<AnnRecall> {
  const n = opts.items.length / opts.dim;
  const q = opts.queries.length / opts.dim;
  const ks = opts.ks ?? [10, 100];
  const plan = opts.plan ?? planVectorIndex(n, opts.dim, { exactThreshold: 0 });
  const dir = await mkdtemp(join(tmpdir(), "vitrine-ann-"));
  try {
    const db = await lancedb.connect(dir);
    const schema = new arrow.Schema([new arrow.Field("row", new arrow.Uint32(), false), new arrow.Field("vector", vectorType(opts.dim), false)]);
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const table = await db.createTable("items", tableOf(schema, { row: uint32Column(rows), vector: vectorColumn(opts.items, opts.dim) }));
    const t0 = performance.now();
    await buildVectorIndex(table, plan);
    const buildSeconds = (performance.now() - t0) / 1000;
    const sums = new Map(ks.map((k) => [k, 0]));
    let searchMs = 0;
    for (let i = 0; i < q; i++) {
      const v = opts.queries.subarray(i * opts.dim, (i + 1) * opts.dim);
      for (const k of ks) {
        const s0 = performance.now();
        const hits = (await searchItems(table, plan, v, k).select(["row"]).toArray()) as { row: number }[];
        searchMs += performance.now() - s0;
        const want = new Set(Array.from(opts.exact[i]!).slice(0, k));
        sums.set(k, sums.get(k)! + hits.filter((h) => want.has(h.row)).length / Math.min(k, want.size || 1));
      }
    }
    return {
      plan,
      recall: Object.fromEntries(ks.map((k) => [k, q ? sums.get(k)! / q : 0])),
      queries: q,
      buildSeconds,
      msPerQuery: q ? searchMs / (q * ks.length) : 0,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One line for the terminal and the report. */
export function formatAnnRecall(variant: string, r: AnnRecall): string {
  const p = r.plan.params;
  const params = ["m", "ef_construction", "num_partitions", "nprobes", "ef", "refine_factor"]
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${p[k]}`)
    .join(", ");
  const rec = Object.entries(r.recall)
    .map(([k, v]) => `@${k} ${(100 * v).toFixed(1)}%`)
    .join(", ");
  return `ANN recall vs exact (${variant}): ${rec} over ${r.queries} queries — ${r.plan.kind} (${params}, cosine), built in ${r.buildSeconds.toFixed(1)} s, ${r.msPerQuery.toFixed(1)} ms/query`;
}

/** ANN recall of a model's item vectors for the eval's queries, against exact top-200, as one report line. */
export async function annRecallLine(name: string, items: Float32Array, dim: number, queries: readonly Float32Array[]): Promise<string> {
  const flat = new Float32Array(queries.length * dim);
  queries.forEach((q, i) => flat.set(q, i * dim));
  const exact = exactTopKBatch({ items, queries: flat, dim, k: 200 }).rows;
  return formatAnnRecall(name, await annRecall({ items, queries: flat, dim, exact }));
}
