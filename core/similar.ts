// Item-to-item retrieval ("more like this", DESIGN §6): the item's own vector from the release is
// the query vector, searched exactly as retrieve's vector channel is (exact scan of the rows a
// selective filter leaves, else the ANN with the filter as a prefilter), the item itself left out.
import type { FilterExpr } from "./filter-schema.ts";
import { vectorChannel, type EngineOptions, type SearchIndex } from "./retrieve-engine.ts";
import type { RowScore } from "./top-k.ts";

/** One similar call as the engine takes it (already validated). */
export interface EngineSimilarRequest {
  /** Row of the item whose neighbours are wanted. */
  row: number;
  /** Items wanted. */
  k: number;
  /** Hard constraints, applied exactly as retrieve applies the caller's filters. */
  filters?: FilterExpr | null;
}

/** The neighbours of an item, best first. */
export interface EngineSimilarResult {
  /** Rows and their inner product with the item's vector, at most k, never the item itself. */
  hits: RowScore[];
  /** Per-stage wall times in ms. */
  timings: Record<string, number>;
}

/** The k items nearest to an item in the release's item-embedding space, under the filters. */
export async function runSimilar(idx: SearchIndex, req: EngineSimilarRequest, opts: Pick<EngineOptions, "exactLimit" | "ann">): Promise<EngineSimilarResult> {
  const t0 = performance.now();
  if (!Number.isInteger(req.row) || req.row < 0 || req.row >= idx.n) throw new RangeError(`row ${req.row} is not in the index (0..${idx.n - 1})`);
  const q = idx.vectors.subarray(req.row * idx.dim, (req.row + 1) * idx.dim);
  // One more than k: the item itself is (usually) its own nearest neighbour.
  const { vector } = await vectorChannel(idx, q, req.filters ?? null, req.k + 1, opts);
  const hits = vector.filter((h) => h.row !== req.row).slice(0, req.k);
  return { hits, timings: { search: Math.round((performance.now() - t0) * 1000) / 1000 } };
}
