// What the store knows of the edge (DESIGN §6): which release the edge's KV pointer names, as this
// data directory last wrote it (`edge_pointer`, one row replaced by one overwrite commit, like
// `active_release`), and which releases have keys in Workers KV (`edge_keys`, one row appended when
// a push starts, so gc finds the keys of a push that died half-way). Their presence is what makes
// a store "have an edge": activate, rollback and gc then move or clean the edge too, or say how to
// skip it.
import type * as lancedb from "@lancedb/lancedb";
import { arrow, tableOf, utf8Column } from "./arrow.ts";
import { allTableNames } from "./connect.ts";

/** Names of the edge's tables in the store. */
export const EDGE_TABLES = { pointer: "edge_pointer", keys: "edge_keys" } as const;

const EDGE_POINTER_SCHEMA = new arrow.Schema([
  new arrow.Field("release", new arrow.Utf8(), false),
  new arrow.Field("previous", new arrow.Utf8(), true),
  new arrow.Field("updated_at", new arrow.Utf8(), false),
]);
const EDGE_KEYS_SCHEMA = new arrow.Schema([new arrow.Field("release", new arrow.Utf8(), false), new arrow.Field("started_at", new arrow.Utf8(), false)]);

/** The edge's pointer as this store last wrote it. */
export interface EdgePointerRecord {
  /** The release the edge serves. */
  release: string;
  /** The one it served before (the edge falls back to it while `release` is incomplete in KV). */
  previous: string | null;
  /** ISO time of the move. */
  updated_at: string;
}

/** The store's record of the edge. */
export interface EdgeRecord {
  /** The pointer as last moved from here, or null before the first move. */
  pointer: EdgePointerRecord | null;
  /** Releases with keys in KV (complete or not), oldest push first. */
  releases: string[];
}

async function openIfExists(db: lancedb.Connection, name: string): Promise<lancedb.Table | null> {
  return (await allTableNames(db)).includes(name) ? db.openTable(name) : null;
}

/** Read the record; both parts empty when the store never pushed to an edge. */
export async function readEdgeRecord(db: lancedb.Connection): Promise<EdgeRecord> {
  const names = new Set(await allTableNames(db));
  const [pointerRows, keyRows] = await Promise.all([
    names.has(EDGE_TABLES.pointer) ? (await db.openTable(EDGE_TABLES.pointer)).query().limit(1).toArray() : [],
    names.has(EDGE_TABLES.keys) ? (await db.openTable(EDGE_TABLES.keys)).query().toArray() : [],
  ]);
  const p = pointerRows[0] as EdgePointerRecord | undefined;
  const releases = [...new Set((keyRows as { release: string; started_at: string }[]).sort((a, b) => a.started_at.localeCompare(b.started_at)).map((r) => r.release))];
  return { pointer: p ? { release: p.release, previous: p.previous ?? null, updated_at: p.updated_at } : null, releases };
}

/** Whether the store has an edge: it pushed to one, or moved its pointer. */
export function hasEdge(r: EdgeRecord): boolean {
  return r.pointer !== null || r.releases.length > 0;
}

/** Replace the pointer record: one commit. */
export async function writeEdgePointerRecord(db: lancedb.Connection, p: EdgePointerRecord): Promise<void> {
  const data = tableOf(EDGE_POINTER_SCHEMA, { release: utf8Column([p.release]), previous: utf8Column([p.previous]), updated_at: utf8Column([p.updated_at]) });
  const t = await openIfExists(db, EDGE_TABLES.pointer);
  if (t) await t.add(data, { mode: "overwrite" });
  else await db.createTable(EDGE_TABLES.pointer, data, { mode: "create" });
}

/** Note that `release` has (or is getting) keys in KV; before its first key is written. */
export async function recordEdgeKeys(db: lancedb.Connection, release: string): Promise<void> {
  if ((await readEdgeRecord(db)).releases.includes(release)) return;
  const data = tableOf(EDGE_KEYS_SCHEMA, { release: utf8Column([release]), started_at: utf8Column([new Date().toISOString()]) });
  const t = await openIfExists(db, EDGE_TABLES.keys);
  if (t) await t.add(data);
  else await db.createTable(EDGE_TABLES.keys, data, { mode: "create" });
}

/** Forget releases whose keys were deleted from KV. */
export async function forgetEdgeKeys(db: lancedb.Connection, releases: readonly string[]): Promise<void> {
  const t = await openIfExists(db, EDGE_TABLES.keys);
  if (!t || releases.length === 0) return;
  await t.delete(`release IN (${releases.map((r) => `'${r.replaceAll("'", "''")}'`).join(", ")})`);
}

/** Drop the whole record (`vitrine edge detach`): the store no longer has an edge; KV is left as it is. */
export async function dropEdgeRecord(db: lancedb.Connection): Promise<void> {
  const names = await allTableNames(db);
  for (const t of Object.values(EDGE_TABLES)) if (names.includes(t)) await db.dropTable(t);
}
