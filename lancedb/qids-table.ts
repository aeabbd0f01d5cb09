// `qids_rNNN`: the precomputed top-K list of every distinct logged query (seed 001 §3.1): core's
// live search (exact vector channel + BM25, fused by the release's blend), so a qid hit serves
// exactly what a live search without constraints would.
import * as lancedb from "@lancedb/lancedb";
import { precomputeQidLists, type SearchIndex, type TextEmbedder } from "../core/index.ts";
import { float32ListColumn, tableOf, uint32Column, utf8Column, utf8ListColumn } from "./arrow.ts";
import type { LoggedQuery } from "./catalog-source.ts";
import { checkedUnitVectors } from "./item-vectors.ts";
import { QIDS_SCHEMA } from "./release-schemas.ts";

/** Options of the qid precompute. */
export interface QidsTableOptions {
  /** List length per query. */
  topK: number;
  /** Queries encoded and scored per chunk (default 2,048): bounds memory on large logs. */
  chunk?: number;
  /** Called after each chunk with the queries done so far. */
  onProgress?: (done: number) => void;
  /** Exact-scan limit of the live search (default 100,000). */
  exactLimit?: number;
}

/** Encode every logged query, rank it with the release's index, write `qids_<id>` with a qid index. */
export async function writeQidsTable(
  db: lancedb.Connection,
  name: string,
  queries: readonly LoggedQuery[],
  encoder: TextEmbedder,
  ids: readonly string[],
  idx: SearchIndex,
  opts: QidsTableOptions,
): Promise<lancedb.Table> {
  const chunk = opts.chunk ?? 2_048;
  let table: lancedb.Table | null = null;
  for (let s = 0; s < queries.length; s += chunk) {
    const part = queries.slice(s, s + chunk);
    // The canonical terms are what the qid hashes, so every spelling of a query shares one list.
    const qv = checkedUnitVectors(await encoder.encode(part.map((q) => q.terms)), encoder.dim, "query");
    const tops = await precomputeQidLists(idx, part, qv, opts.topK, opts.exactLimit ?? 100_000);
    const data = tableOf(QIDS_SCHEMA, {
      qid: uint32Column(Uint32Array.from(part, (q) => q.qid)),
      terms: utf8Column(part.map((q) => q.terms)),
      item_ids: utf8ListColumn(tops.map((t) => Array.from(t.list.rows, (i) => ids[i]!))),
      scores: float32ListColumn(tops.map((t) => t.list.scores)),
    });
    if (table) await table.add(data);
    else table = await db.createTable(name, data, { mode: "create" });
    opts.onProgress?.(Math.min(queries.length, s + chunk));
  }
  table ??= await db.createEmptyTable(name, QIDS_SCHEMA, { mode: "create" });
  // An index needs rows to train on; an empty qid table is scanned (every lookup misses anyway).
  if (queries.length > 0) {
    await table.createIndex("qid", { config: lancedb.Index.btree(), replace: true, name: "qid_idx" });
    await table.waitForIndex(["qid_idx"], 600);
  }
  return table;
}
