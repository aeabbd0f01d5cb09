// `vitrine eval --api URL`: rank the held-out queries through a live API with the SDK, so a
// release is measured exactly as it serves (query understanding, qid lists, ANN, filters).
import { createClient } from "../../sdk/index.ts";

/** Options of apiRankings. */
export interface ApiRankingsOptions {
  /** API base URL. */
  url: string;
  /** A read key. */
  apiKey: string;
  /** The held-out queries, in order. */
  queries: readonly string[];
  /** Item id of every row of the evaluation's catalog (answers are mapped back to rows). */
  itemIds: readonly string[];
  /** Items asked per query (≤ 1000). */
  k: number;
  /** Requests in flight (default 8). */
  concurrency?: number;
  /** Called as queries finish. */
  onProgress?: (done: number, total: number) => void;
}

/** What the API returned, as rows of the evaluation's catalog. */
export interface ApiRankings {
  /** Ranked rows per query (items the catalog does not know are left out). */
  rows: Int32Array[];
  /** Releases that answered (one, unless a release was activated mid-run). */
  releases: string[];
  /** Queries per serving path (qid, ann, qid+ann). */
  paths: Record<string, number>;
  /** Returned ids the catalog does not know. */
  unknownIds: number;
}

/** Retrieve every query through the API and map the answers to catalog rows. */
export async function apiRankings(opts: ApiRankingsOptions): Promise<ApiRankings> {
  const client = createClient({ url: opts.url, apiKey: opts.apiKey });
  const rowOf = new Map(opts.itemIds.map((id, i) => [id, i]));
  const rows: Int32Array[] = new Array(opts.queries.length);
  const releases = new Set<string>();
  const paths: Record<string, number> = {};
  let unknownIds = 0;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= opts.queries.length) return;
      const r = await client.retrieve(opts.queries[i]!, { k: opts.k });
      releases.add(r.release);
      paths[r.path] = (paths[r.path] ?? 0) + 1;
      const ranked: number[] = [];
      for (const item of r.items) {
        const row = rowOf.get(item.id);
        if (row === undefined) unknownIds++;
        else ranked.push(row);
      }
      rows[i] = Int32Array.from(ranked);
      opts.onProgress?.(++done, opts.queries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  return { rows, releases: [...releases].sort(), paths, unknownIds };
}
