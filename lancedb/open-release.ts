// Handles on one release for the retrieval service.
import type * as lancedb from "@lancedb/lancedb";
import type { ReleaseInfo } from "../core/index.ts";
import { withSharedStore } from "./connect.ts";
import { StoreError } from "./errors.ts";
import type { LexiconValues } from "../core/index.ts";
import { readLexiconValues } from "./lexicon-table.ts";
import { localModelDir } from "./model-files.ts";
import { ivfTable, releaseTables } from "./release-names.ts";
import { readPointer, readReleaseRows, requireComplete, toReleaseInfo } from "./release-registry.ts";
import { parseRetrieval, type ReleaseRetrieval } from "./release-retrieval.ts";
import type { ScalarIndexPlan } from "./items-table.ts";

/** An open release: its tables and what a reader needs to query them. */
export interface ReleaseHandles {
  /** The release's record (`active` as of opening). */
  info: ReleaseInfo;
  /** `items_rNNN`: id, vector, title, brand, category, price, image, text_only, attributes struct. */
  items: lancedb.Table;
  /** `qids_rNNN`: qid, terms, item_ids, scores. */
  qids: lancedb.Table;
  /** Brand and category values with counts, for query understanding. */
  lexicon: LexiconValues;
  /** Children of the items' attribute struct: pass to filterToSql as `knownAttributes`. */
  knownAttributes: Set<string>;
  /** The encoder the vectors came from and its config: rebuild the query encoder from it. */
  encoder: { name: string; dim: number; config: Record<string, number | string> };
  /** Scalar index kind per column. */
  scalarIndexes: ScalarIndexPlan;
  /** Length of the precomputed qid lists. */
  topK: number;
  /** Retrieval channels: the lexical channel on or off and the blend fitted at publish. */
  retrieval: ReleaseRetrieval;
  /** `ivf_rNNN`, the IVF index stored at publish, or null (an older or small release: built at load if needed). */
  ivf: lancedb.Table | null;
}

/** Open release `id` (default: the active one) for reading. */
export async function openRelease(dataDir: string, id?: string): Promise<ReleaseHandles> {
  return withSharedStore(dataDir, (db) => openReleaseOn(db, id));
}

async function openReleaseOn(db: lancedb.Connection, id?: string): Promise<ReleaseHandles> {
  const ptr = await readPointer(db);
  const want = id ?? ptr?.release;
  if (!want) throw new StoreError("NO_ACTIVE_RELEASE", "no release is active yet; run `vitrine publish` first");
  const row = await requireComplete(db, want, await readReleaseRows(db));
  const names = releaseTables(want);
  // The IVF table is optional: opened by name (an S3 store may not list tables), absent → null.
  const [items, qids, lexTable, ivf] = await Promise.all([db.openTable(names.items), db.openTable(names.qids), db.openTable(names.lexicon), db.openTable(ivfTable(want)).catch(() => null)]);
  const config = JSON.parse(row.model_config) as Record<string, number | string>;
  // A trained release on an s3:// store names its model folder there: load it from a local copy.
  if (typeof config.modelDir === "string") config.modelDir = await localModelDir(config.modelDir);
  return {
    info: toReleaseInfo(row, ptr?.release ?? null),
    items,
    qids,
    lexicon: await readLexiconValues(lexTable),
    knownAttributes: new Set(JSON.parse(row.attribute_keys) as string[]),
    encoder: { name: row.model, dim: row.dim, config },
    scalarIndexes: JSON.parse(row.scalar_indexes) as ScalarIndexPlan,
    topK: row.top_k,
    retrieval: parseRetrieval(row.retrieval),
    ivf,
  };
}
