// Garbage collection of old releases. A release's row goes first, then its tables: a crash in
// between leaves only row-less leftovers, which the next gc drops. With an edge, the Workers KV keys
// of every release not kept go too (bulk deletes, batched and retried like the push); the store
// forgets a release's keys only once they are deleted, so a failed gc is finished by the next one.
import { edgeReleasePrefix } from "../core/index.ts";
import { allTableNames, openStore } from "./connect.ts";
import { keyBatches, type KvClient } from "./edge-kv-http.ts";
import { readKvPointer } from "./edge-pointer.ts";
import { forgetEdgeKeys, readEdgeRecord } from "./edge-record.ts";
import { StoreError } from "./errors.ts";
import { releaseNumber, releaseOfTable } from "./release-names.ts";
import { deleteReleaseRow, readPointer, readReleaseRows } from "./release-registry.ts";
import { withWriterLease } from "./writer-lease.ts";
import { edgeToFollow, type EdgeChoice } from "./release-switch.ts";

/** gc options. */
export interface GcOptions {
  /** Complete releases to keep besides the active one, its rollback target and the edge's, newest first. */
  keep: number;
  /** The edge: delete the KV keys of releases not kept (absent: leave KV alone). */
  edge?: EdgeChoice;
}

/** What gc did. */
export interface GcResult {
  /** Complete releases kept. */
  kept: string[];
  /** Complete releases removed. */
  removed: string[];
  /** Tables dropped (of removed releases and of crashed publishes). */
  droppedTables: string[];
  /** The edge's side: releases whose KV keys were deleted and how many keys; null when KV was left alone. */
  edge: { releases: string[]; deletedKeys: number } | null;
}

/**
 * Keep the active release, the one rollback would return to, the one the edge serves (and its
 * fallback), and the `keep` newest complete ones; drop the rest, and the tables of crashed
 * publishes older than the newest complete release.
 */
export async function gcReleases(dataDir: string, opts: GcOptions): Promise<GcResult> {
  if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new StoreError("BAD_OPTION", `keep must be a whole number ≥ 0, got ${opts.keep}`);
  return withWriterLease(dataDir, "gc", () => gcLeased(dataDir, opts));
}

async function gcLeased(dataDir: string, opts: GcOptions): Promise<GcResult> {
  const kv = opts.edge ? await edgeToFollow(dataDir, opts.edge, "collecting releases") : null;
  const db = await openStore(dataDir);
  const [rows, ptr, record] = await Promise.all([readReleaseRows(db), readPointer(db), readEdgeRecord(db)]);
  const keep = new Set(rows.slice(0, opts.keep).map((r) => r.id));
  // Rollback must keep working after a gc: its target is protected like the active one. So are
  // the edge's release and its fallback, as recorded here and as KV itself names them.
  const kvPointer = kv ? await readKvPointer(kv) : null;
  for (const id of [ptr?.release, ptr?.previous, record.pointer?.release, record.pointer?.previous, kvPointer?.release, kvPointer?.previous]) if (id) keep.add(id);
  const removed = rows.filter((r) => !keep.has(r.id)).map((r) => r.id);
  for (const id of removed) await deleteReleaseRow(db, id);

  const complete = new Set(rows.map((r) => r.id));
  const newest = rows.length ? releaseNumber(rows[0]!.id)! : -1;
  const droppedTables: string[] = [];
  for (const name of await allTableNames(db)) {
    const rel = releaseOfTable(name);
    if (!rel) continue;
    const orphan = !complete.has(rel) && releaseNumber(rel)! < newest; // newer ones may be a publish in progress
    if (removed.includes(rel) || orphan) {
      await db.dropTable(name);
      droppedTables.push(name);
    }
  }
  const edge = kv
    ? await deleteEdgeKeys(
        dataDir,
        kv,
        [...new Set([...record.releases, ...removed])].filter((id) => !keep.has(id)),
      )
    : null;
  return { kept: rows.filter((r) => keep.has(r.id)).map((r) => r.id), removed, droppedTables, edge };
}

/** Delete every KV key of these releases (listed by prefix: a half-done push's keys too), then forget them in the store. */
async function deleteEdgeKeys(dataDir: string, kv: KvClient, releases: string[]): Promise<{ releases: string[]; deletedKeys: number }> {
  let deletedKeys = 0;
  for (const id of releases) {
    // Listed in full before deleting: a listing cursor is not promised to survive deletes under it.
    const keys: string[] = [];
    for await (const k of kv.listKeys(edgeReleasePrefix(id))) keys.push(k);
    for await (const batch of keyBatches(keys)) {
      await kv.deleteBatch(batch);
      deletedKeys += batch.length;
    }
    await forgetEdgeKeys(await openStore(dataDir), [id]);
  }
  return { releases, deletedKeys };
}
