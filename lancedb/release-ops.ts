// Reading and switching releases: list, active, activate, rollback. Each switch is one pointer write.
import type { ReleaseInfo } from "../core/index.ts";
import { openStore } from "./connect.ts";
import { StoreError } from "./errors.ts";
import { readPointer, readReleaseRows, requireComplete, toReleaseInfo, writePointer } from "./release-registry.ts";

/** Complete releases, newest first, with the active one flagged. */
export async function listReleases(dataDir: string): Promise<ReleaseInfo[]> {
  const db = await openStore(dataDir);
  const [rows, ptr] = await Promise.all([readReleaseRows(db), readPointer(db)]);
  return rows.map((r) => toReleaseInfo(r, ptr?.release ?? null));
}

/** The release readers are served from, or null before the first activation. */
export async function getActiveRelease(dataDir: string): Promise<ReleaseInfo | null> {
  const db = await openStore(dataDir);
  const ptr = await readPointer(db);
  if (!ptr) return null;
  const row = (await readReleaseRows(db)).find((r) => r.id === ptr.release);
  return row ? toReleaseInfo(row, ptr.release) : null;
}

/** Point readers at release `id` (one write); the current one becomes `previous`. Activating the active one is a no-op. */
export async function activateRelease(dataDir: string, id: string): Promise<ReleaseInfo> {
  const db = await openStore(dataDir);
  const row = await requireComplete(db, id);
  const ptr = await readPointer(db);
  if (ptr?.release !== id) await writePointer(db, { release: id, previous: ptr?.release ?? null, updated_at: new Date().toISOString() });
  return toReleaseInfo(row, id);
}

/** Go back to the release active before the current one (one write); rolling back twice returns. */
export async function rollbackRelease(dataDir: string): Promise<ReleaseInfo> {
  const db = await openStore(dataDir);
  const ptr = await readPointer(db);
  if (!ptr) throw new StoreError("NO_ACTIVE_RELEASE", "no release is active yet; run `vitrine publish` first");
  if (!ptr.previous) throw new StoreError("NO_PREVIOUS_RELEASE", `release ${ptr.release} was the first one activated; there is nothing to roll back to`);
  let row;
  try {
    row = await requireComplete(db, ptr.previous);
  } catch (e) {
    if (e instanceof StoreError) throw new StoreError("NO_PREVIOUS_RELEASE", `cannot roll back to ${ptr.previous}: ${e.message}`);
    throw e;
  }
  await writePointer(db, { release: ptr.previous, previous: ptr.release, updated_at: new Date().toISOString() });
  return toReleaseInfo(row, ptr.previous);
}
