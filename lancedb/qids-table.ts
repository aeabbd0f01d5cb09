// `qids_rNNN`: the precomputed top-K list of every distinct logged query (seed 001 §3.1), by exact
// brute force over all item vectors, so a qid hit serves exactly what an exact search would.
import * as lancedb from "@lancedb/lancedb";
import type { TextEncoder } from "../core/encoder.ts";
import { float32ListColumn, tableOf, uint32Column, utf8Column, utf8ListColumn } from "./arrow.ts";
import type { LoggedQuery } from "./catalog-source.ts";
import { checkedUnitVectors } from "./item-vectors.ts";
import { QIDS_SCHEMA } from "./release-schemas.ts";
import { topKInnerProduct } from "./top-k.ts";

/** Options of the qid precompute. */
export interface QidsTableOptions {
  /** List length per query. */
  topK: number;
  /** Queries encoded and scored per chunk (default 2,048): bounds memory on large logs. */
  chunk?: number;
  /** Called after each chunk with the queries done so far. */
  onProgress?: (done: number) => void;
}

/** Encode every logged query, take its exact top-K against `vectors`, write `qids_<id>` with a qid index. */
export async function writeQidsTable(
  db: lancedb.Connection, name: string, queries: readonly LoggedQuery[], encoder: TextEncoder,
  ids: readonly string[], vectors: Float32Array, opts: QidsTableOptions,
): Promise<lancedb.Table> {
  const chunk = opts.chunk ?? 2_048;
  let table: lancedb.Table | null = null;
  for (let s = 0; s < queries.length; s += chunk) {
    const part = queries.slice(s, s + chunk);
    // The canonical terms are what the qid hashes, so every spelling of a query shares one list.
    const qv = checkedUnitVectors(await encoder.encode(part.map((q) => q.terms)), encoder.dim, "query");
    const tops = topKInnerProduct(vectors, encoder.dim, qv, opts.topK);
    const data = tableOf(QIDS_SCHEMA, {
      qid: uint32Column(Uint32Array.from(part, (q) => q.qid)),
      terms: utf8Column(part.map((q) => q.terms)),
      item_ids: utf8ListColumn(tops.map((t) => Array.from(t.indices, (i) => ids[i]!))),
      scores: float32ListColumn(tops.map((t) => t.scores)),
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
