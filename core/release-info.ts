// What a published release and a stored item look like to every reader: the store writes and reads
// them (lancedb), the retrieval service returns them (api/service/types.ts re-exports them as part of
// its contract). Runtime-agnostic: types only.
import type { Blend } from "./fusion.ts";

/** An item's stored record. */
export interface ItemRecord {
  id: string;
  title: string;
  brand: string | null;
  category: string | null;
  price: number | null;
  /** The catalog's image reference in the store (null when the import could not load it); the API sends an absolute URL of GET /v1/images/{id} instead. */
  image: string | null;
  attributes: Record<string, string>;
  /** True when the item was embedded from its title alone. */
  textOnly: boolean;
}

/** A published release. */
export interface ReleaseInfo {
  /** Release id, r001, r002, ... */
  id: string;
  /** ISO time the release became complete. */
  createdAt: string;
  /** Whether readers are served from it now. */
  active: boolean;
  /** Items in the release. */
  items: number;
  /** Precomputed qid lists in the release. */
  qids: number;
  /** Vector index chosen for it and its parameters. */
  index: { kind: "exact" | "ivf_pq" | "ivf_hnsw_sq"; params: Record<string, number | string> };
  /** The model (or encoder) that produced the vectors. */
  model: string;
  /** Vector dimension. */
  dim: number;
  /** Retrieval channels: BM25 beside the vectors or not, and the blend fitted at publish. */
  retrieval: { lexical: boolean; blend: Blend };
  /**
   * The edge (Workers KV), as this data directory last changed it; absent when the release has no
   * keys there. "serving": the edge's pointer names it; "pushed": its keys were written (`vitrine
   * edge status` checks the push completed and the pointer against KV itself).
   */
  edge?: "serving" | "pushed";
}
