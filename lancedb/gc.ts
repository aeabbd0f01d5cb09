// Garbage collection of old releases. A release's row goes first, then its tables: a crash in
// between leaves only row-less leftovers, which the next gc drops.
import { allTableNames, openStore } from "./connect.ts";
import { StoreError } from "./errors.ts";
import { releaseNumber, releaseOfTable } from "./release-names.ts";
import { deleteReleaseRow, readPointer, readReleaseRows } from "./release-registry.ts";

/** gc options. */
export interface GcOptions {
  /** Complete releases to keep besides the active one and its rollback target, newest first. */
  keep: number;
}

/** What gc did. */
export interface GcResult {
  /** Complete releases kept. */
  kept: string[];
  /** Complete releases removed. */
  removed: string[];
  /** Tables dropped (of removed releases and of crashed publishes). */
  droppedTables: string[];
}

/**
 * Keep the active release, the one rollback would return to, and the `keep` newest complete ones;
 * drop the rest, and the tables of crashed publishes older than the newest complete release.
 */
export async function gcReleases(dataDir: string, opts: GcOptions): Promise<GcResult> {
  if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new StoreError("BAD_OPTION", `keep must be a whole number ≥ 0, got ${opts.keep}`);
  const db = await openStore(dataDir);
  const rows = await readReleaseRows(db);
  const ptr = await readPointer(db);
  const keep = new Set(rows.slice(0, opts.keep).map((r) => r.id));
  if (ptr) keep.add(ptr.release);
  // Rollback must keep working after a gc: its target is protected like the active one.
  if (ptr?.previous) keep.add(ptr.previous);
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
  return { kept: rows.filter((r) => keep.has(r.id)).map((r) => r.id), removed, droppedTables };
}
