// The vector index of a release, chosen by size, and the query settings that go with it.
// DESIGN §10 (measured here): HNSW_SQ with "dot" is near-random, so cosine only; IVF_PQ needs a
// refine step and more than the default 20 probes when a selective prefilter is applied.
import * as lancedb from "@lancedb/lancedb";
import type { ReleaseInfo } from "../core/index.ts";

/** Vector index kinds a release can have. */
export type VectorIndexKind = ReleaseInfo["index"]["kind"];

/** Index choice options. */
export interface VectorIndexOptions {
  /** Below this many items, no index: exact scans are fast and exact (default 50,000). */
  exactThreshold?: number;
  /** ANN index kind above the threshold (default "ivf_hnsw_sq": best recall under filters here). */
  ann?: "ivf_hnsw_sq" | "ivf_pq";
}

/** The recorded choice: kind plus build and query parameters. */
export interface VectorIndexPlan {
  /** Index kind. */
  kind: VectorIndexKind;
  /** Build parameters and the query parameters readers must apply (all stored with the release). */
  params: Record<string, number | string>;
}

/** Default item count below which a release gets no vector index. */
export const DEFAULT_EXACT_THRESHOLD = 50_000;

/** Choose the index for `rows` vectors of width `dim`. */
export function planVectorIndex(rows: number, dim: number, opts: VectorIndexOptions = {}): VectorIndexPlan {
  const threshold = opts.exactThreshold ?? DEFAULT_EXACT_THRESHOLD;
  if (rows < threshold) return { kind: "exact", params: { distance: "cosine", exact_threshold: threshold } };
  if ((opts.ann ?? "ivf_hnsw_sq") === "ivf_hnsw_sq") {
    // One HNSW graph per ~1M rows keeps training memory bounded; search probes every partition.
    const partitions = Math.max(1, Math.round(rows / 1_000_000));
    return {
      kind: "ivf_hnsw_sq",
      params: {
        distance: "cosine",
        num_partitions: partitions,
        m: 20,
        ef_construction: 300,
        exact_threshold: threshold,
        nprobes: partitions,
        ef: 200,
        refine_factor: 2,
      },
    };
  }
  const partitions = Math.max(1, Math.min(4096, Math.round(Math.sqrt(rows))));
  // Sub-vectors of 8 dims (or fewer when dim is not a multiple of 8): PQ codes must divide dim.
  const subVectors = dim % 8 === 0 ? dim / 8 : dim % 4 === 0 ? dim / 4 : 1;
  return {
    kind: "ivf_pq",
    params: {
      distance: "cosine",
      num_partitions: partitions,
      num_sub_vectors: subVectors,
      num_bits: 8,
      exact_threshold: threshold,
      // Probe a tenth of the partitions at least, all of them at most: a selective prefilter
      // leaves few rows per partition, and the default cap of 20 starved it (DESIGN §10).
      minimum_nprobes: Math.max(1, Math.min(partitions, Math.max(20, Math.ceil(partitions / 10)))),
      maximum_nprobes: partitions,
      refine_factor: 5,
    },
  };
}

const num = (p: Record<string, number | string>, k: string): number => Number(p[k]);

/** Build the planned index on `vector` and wait until it covers every row. */
export async function buildVectorIndex(table: lancedb.Table, plan: VectorIndexPlan): Promise<void> {
  if (plan.kind === "exact") return;
  const p = plan.params;
  const config =
    plan.kind === "ivf_hnsw_sq"
      ? lancedb.Index.hnswSq({ distanceType: "cosine", numPartitions: num(p, "num_partitions"), m: num(p, "m"), efConstruction: num(p, "ef_construction") })
      : lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions: num(p, "num_partitions"), numSubVectors: num(p, "num_sub_vectors"), numBits: num(p, "num_bits") });
  await table.createIndex("vector", { config, replace: true, name: "vector_idx" });
  await table.waitForIndex(["vector_idx"], 3_600);
}

/** A vector search on a release's items with the query settings its index needs. */
export function searchItems(table: lancedb.Table, index: VectorIndexPlan, vector: Float32Array | number[], k: number): lancedb.VectorQuery {
  const q = table.vectorSearch(vector).distanceType("cosine").limit(k);
  const p = index.params;
  if (index.kind === "exact") return q.bypassVectorIndex();
  if (index.kind === "ivf_hnsw_sq")
    return q
      .nprobes(num(p, "nprobes"))
      .ef(Math.max(num(p, "ef"), k))
      .refineFactor(num(p, "refine_factor"));
  return q.minimumNprobes(num(p, "minimum_nprobes")).maximumNprobes(num(p, "maximum_nprobes")).refineFactor(num(p, "refine_factor"));
}
