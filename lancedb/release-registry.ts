// The `releases` table (one row per complete release) and the `active_release` pointer (one row,
// replaced by a single overwrite commit, so readers see the old pointer or the new one, never half).
import type * as lancedb from "@lancedb/lancedb";
import type { ReleaseInfo } from "../core/index.ts";
import { arrow, tableOf, utf8Column } from "./arrow.ts";
import { allTableNames } from "./connect.ts";
import { StoreError } from "./errors.ts";
import { releaseNumber, releaseTables } from "./release-names.ts";
import { ACTIVE_SCHEMA, RELEASES_SCHEMA, RELEASE_TABLES } from "./release-schemas.ts";
import { parseRetrieval } from "./release-retrieval.ts";

/** One row of the `releases` table as stored. */
export interface ReleaseRow {
  /** Release id, r001, r002, ... */
  id: string;
  /** ISO time the release became complete. */
  created_at: string;
  /** Item rows in `items_<id>`. */
  items: number;
  /** Rows in `qids_<id>`. */
  qids: number;
  /** Vector dimension. */
  dim: number;
  /** Encoder (model) name. */
  model: string;
  /** JSON of the encoder's config, enough to rebuild the query encoder at serve time. */
  model_config: string;
  /** "exact" | "ivf_pq" | "ivf_hnsw_sq". */
  index_kind: ReleaseInfo["index"]["kind"];
  /** JSON of the vector index's build and recommended query parameters. */
  index_params: string;
  /** JSON { column: "BITMAP" | "BTREE" } of the scalar indexes built. */
  scalar_indexes: string;
  /** K of the precomputed qid lists. */
  top_k: number;
  /** JSON array of the attribute keys in the items' attribute struct. */
  attribute_keys: string;
  /** JSON { table: version } of the import tables the release was built from. */
  import_tables: string;
  /** Wall time of the publish. */
  publish_seconds: number;
  /** Always "complete": rows are written only once every table and index exists. */
  state: "complete";
  /** JSON { lexical, blend, fit } (null in releases published before hybrid retrieval). */
  retrieval?: string | null;
}

/** The active pointer. */
export interface ActivePointer {
  /** The release readers are served from. */
  release: string;
  /** The release active before it: what rollback goes back to. */
  previous: string | null;
  /** ISO time of the last change. */
  updated_at: string;
}

async function openIfExists(db: lancedb.Connection, name: string): Promise<lancedb.Table | null> {
  return (await allTableNames(db)).includes(name) ? db.openTable(name) : null;
}

/** Complete releases, newest first. */
export async function readReleaseRows(db: lancedb.Connection): Promise<ReleaseRow[]> {
  const t = await openIfExists(db, RELEASE_TABLES.releases);
  if (!t) return [];
  const rows = (await t.query().toArray()) as ReleaseRow[];
  return rows
    .filter((r) => r.state === "complete")
    .map((r) => ({ ...r }))
    .sort((a, b) => (releaseNumber(b.id) ?? 0) - (releaseNumber(a.id) ?? 0));
}

/** The active pointer, or null before the first activation. */
export async function readPointer(db: lancedb.Connection): Promise<ActivePointer | null> {
  // A fresh handle each time: an open handle keeps reading the version it was opened at.
  const t = await openIfExists(db, RELEASE_TABLES.active);
  if (!t) return null;
  const [row] = (await t.query().limit(1).toArray()) as ActivePointer[];
  return row ? { release: row.release, previous: row.previous ?? null, updated_at: row.updated_at } : null;
}

/** Record a complete release: one append commit to `releases`. */
export async function appendReleaseRow(db: lancedb.Connection, row: ReleaseRow): Promise<void> {
  const cols: Record<string, ReturnType<typeof utf8Column>> = {};
  for (const f of RELEASES_SCHEMA.fields) {
    const v = row[f.name as keyof ReleaseRow];
    cols[f.name] = typeof v === "number" ? arrow.vectorFromArray([v], f.type).data[0]! : utf8Column([v ?? null]);
  }
  const data = tableOf(RELEASES_SCHEMA, cols);
  const t = await openIfExists(db, RELEASE_TABLES.releases);
  if (t) {
    // A store made by an older version lacks newer nullable columns: add them (null) first.
    const have = new Set((await t.schema()).fields.map((f) => f.name));
    const missing = RELEASES_SCHEMA.fields.filter((f) => !have.has(f.name));
    if (missing.length) await t.addColumns(missing.map((f) => ({ name: f.name, valueSql: "CAST(NULL AS STRING)" })));
    await t.add(data);
  } else await db.createTable(RELEASE_TABLES.releases, data, { mode: "create" });
}

/** Drop a release's row (gc does this before dropping its tables, so a crash leaves only leftovers). */
export async function deleteReleaseRow(db: lancedb.Connection, id: string): Promise<void> {
  const t = await openIfExists(db, RELEASE_TABLES.releases);
  if (t) await t.delete(`id = '${id.replaceAll("'", "''")}'`);
}

/** Replace the pointer: ONE commit (overwrite), so readers switch atomically. */
export async function writePointer(db: lancedb.Connection, p: ActivePointer): Promise<void> {
  const data = tableOf(ACTIVE_SCHEMA, { release: utf8Column([p.release]), previous: utf8Column([p.previous]), updated_at: utf8Column([p.updated_at]) });
  const t = await openIfExists(db, RELEASE_TABLES.active);
  if (t) await t.add(data, { mode: "overwrite" });
  else await db.createTable(RELEASE_TABLES.active, data, { mode: "create" });
}

/** The API view of a release row. */
export function toReleaseInfo(row: ReleaseRow, activeId: string | null): ReleaseInfo {
  return {
    id: row.id,
    createdAt: row.created_at,
    active: row.id === activeId,
    items: row.items,
    qids: row.qids,
    index: { kind: row.index_kind, params: JSON.parse(row.index_params) as Record<string, number | string> },
    model: row.model,
    dim: row.dim,
    retrieval: (({ lexical, blend }) => ({ lexical, blend }))(parseRetrieval(row.retrieval)),
  };
}

/** Fail unless `id` is a complete release whose tables all exist. */
export async function requireComplete(db: lancedb.Connection, id: string, rows?: ReleaseRow[]): Promise<ReleaseRow> {
  const row = (rows ?? (await readReleaseRows(db))).find((r) => r.id === id);
  if (!row) {
    const leftover = (await allTableNames(db)).includes(releaseTables(id).items);
    throw leftover
      ? new StoreError("RELEASE_INCOMPLETE", `release ${id} never completed (its publish crashed or is still running); publish again`)
      : new StoreError("RELEASE_MISSING", `no release ${id}; \`vitrine releases list\` shows the published ones`);
  }
  const names = new Set(await allTableNames(db));
  const missing = Object.values(releaseTables(id)).filter((t) => !names.has(t));
  if (missing.length) throw new StoreError("RELEASE_INCOMPLETE", `release ${id} lacks table(s) ${missing.join(", ")}; publish a new release`);
  return row;
}
