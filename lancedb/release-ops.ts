// Reading and switching releases at the origin: list, active, activate, rollback. Each switch is one
// pointer write. Callers that serve an edge too go through switchRelease (release-switch.ts).
import type { ReleaseInfo } from "../core/index.ts";
import { openStore, withSharedStore } from "./connect.ts";
import { readEdgeRecord } from "./edge-record.ts";
import { StoreError } from "./errors.ts";
import { withWriterLease } from "./writer-lease.ts";
import { readPointer, readReleaseRows, requireComplete, toReleaseInfo, writePointer, type ReleaseRow } from "./release-registry.ts";

/** Complete releases, newest first, with the active one flagged. */
export async function listReleases(dataDir: string): Promise<ReleaseInfo[]> {
  return withSharedStore(dataDir, async (db) => {
    const [rows, ptr, edge] = await Promise.all([readReleaseRows(db), readPointer(db), readEdgeRecord(db)]);
    return rows.map((r) => {
      const info = toReleaseInfo(r, ptr?.release ?? null);
      if (edge.pointer?.release === r.id) info.edge = "serving";
      else if (edge.releases.includes(r.id)) info.edge = "pushed";
      return info;
    });
  });
}

/** The release readers are served from, or null before the first activation (a server polls this: one shared connection). */
export async function getActiveRelease(dataDir: string): Promise<ReleaseInfo | null> {
  return withSharedStore(dataDir, async (db) => {
    const ptr = await readPointer(db);
    if (!ptr) return null;
    const row = (await readReleaseRows(db)).find((r) => r.id === ptr.release);
    return row ? toReleaseInfo(row, ptr.release) : null;
  });
}

/** Point readers at release `id` (one write); the current one becomes `previous`. Activating the active one is a no-op. */
export async function activateRelease(dataDir: string, id: string): Promise<ReleaseInfo> {
  return withWriterLease(dataDir, `activate ${id}`, async () => {
    const db = await openStore(dataDir);
    const row = await requireComplete(db, id);
    const ptr = await readPointer(db);
    if (ptr?.release !== id) await writePointer(db, { release: id, previous: ptr?.release ?? null, updated_at: new Date().toISOString() });
    return toReleaseInfo(row, id);
  });
}

/** The release rollback would go back to (checked complete), with the pointer it would replace. */
async function rollbackPlan(db: Awaited<ReturnType<typeof openStore>>): Promise<{ release: string; current: string; row: ReleaseRow }> {
  const ptr = await readPointer(db);
  if (!ptr) throw new StoreError("NO_ACTIVE_RELEASE", "no release is active yet; run `vitrine publish` first");
  if (!ptr.previous) throw new StoreError("NO_PREVIOUS_RELEASE", `release ${ptr.release} was the first one activated; there is nothing to roll back to`);
  try {
    return { release: ptr.previous, current: ptr.release, row: await requireComplete(db, ptr.previous) };
  } catch (e) {
    if (e instanceof StoreError) throw new StoreError("NO_PREVIOUS_RELEASE", `cannot roll back to ${ptr.previous}: ${e.message}`);
    throw e;
  }
}

/** The release `rollbackRelease` would activate now; throws as it would when there is none. */
export async function rollbackTarget(dataDir: string): Promise<string> {
  return (await rollbackPlan(await openStore(dataDir))).release;
}

/** Go back to the release active before the current one (one write); rolling back twice returns. */
export async function rollbackRelease(dataDir: string): Promise<ReleaseInfo> {
  return withWriterLease(dataDir, "rollback", async () => {
    const db = await openStore(dataDir);
    const { release, current, row } = await rollbackPlan(db);
    await writePointer(db, { release, previous: current, updated_at: new Date().toISOString() });
    return toReleaseInfo(row, release);
  });
}
