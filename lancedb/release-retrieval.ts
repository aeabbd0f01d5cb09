// What a release row records about its retrieval channels: BM25 on or off and the channel blend
// fitted at publish (with the evidence). Releases published before hybrid retrieval have none.
import { parseBlend, VECTOR_ONLY_BLEND, type Blend, type BlendGridPoint, type PriorGridPoint } from "../core/index.ts";

/** What the release row records about its channels. */
export interface ReleaseRetrieval {
  /** Whether the lexical (BM25) channel serves beside the vectors. */
  lexical: boolean;
  /** The channel blend. */
  blend: Blend;
  /** How the blend was chosen (tuning queries, the grid scores, or why it was not fitted; the prior's grid where it was fitted). */
  fit: { queries: number; grid: BlendGridPoint[]; reason?: string; priorGrid?: PriorGridPoint[]; priorBest?: number } | null;
}

/** A release row's retrieval JSON; releases from before hybrid retrieval serve vectors alone. */
export function parseRetrieval(json: string | null | undefined): ReleaseRetrieval {
  if (!json) return { lexical: false, blend: VECTOR_ONLY_BLEND, fit: null };
  const r = JSON.parse(json) as { lexical?: boolean; blend?: unknown; fit?: ReleaseRetrieval["fit"] };
  return { lexical: r.lexical ?? false, blend: r.blend ? parseBlend(r.blend) : VECTOR_ONLY_BLEND, fit: r.fit ?? null };
}
