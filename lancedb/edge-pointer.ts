// The edge's pointer (`active` in Workers KV): the one place it is read and moved from Node. A move
// goes only to a release whose meta record is in KV (so the pointer never names a release whose
// lists are still being written), remembers the release it named before (the edge's fallback), and
// is recorded in the store (edge-record.ts) once KV took it.
import { EDGE_ACTIVE_KEY, EDGE_FORMAT, edgeMetaKey, parseEdgeValue, type EdgePointer, type EdgeReleaseMeta } from "../core/index.ts";
import { openStore } from "./connect.ts";
import { writeEdgePointerRecord } from "./edge-record.ts";
import { EdgePushError, kvBatches, type KvClient } from "./edge-kv-http.ts";

/** The pointer in KV, or null when there is none (or it is unreadable). */
export async function readKvPointer(kv: KvClient): Promise<EdgePointer | null> {
  const p = parseEdgeValue<EdgePointer>(await kv.get(EDGE_ACTIVE_KEY));
  return p && typeof p.release === "string" ? p : null;
}

/** A release's meta record in KV: present only once every list and the lexicon were stored. */
export async function readKvMeta(kv: KvClient, release: string): Promise<EdgeReleaseMeta | null> {
  const m = parseEdgeValue<EdgeReleaseMeta>(await kv.get(edgeMetaKey(release)));
  return m && m.release === release ? m : null;
}

/** Write one KV pair. */
export async function putKv(kv: KvClient, key: string, value: string): Promise<void> {
  for await (const b of kvBatches([{ key, value }])) await kv.putBatch(b);
}

/** Options of moveEdgePointer. */
export interface MoveEdgePointerOptions {
  /** The caller just wrote the release's meta record (a push): skip reading it back. */
  verified?: boolean;
}

/**
 * Point the edge at `release`: refuse (EDGE_INCOMPLETE) unless its meta record is in KV, write the
 * pointer with the release it named before, then record the move in the store.
 */
export async function moveEdgePointer(dataDir: string, kv: KvClient, release: string, opts: MoveEdgePointerOptions = {}): Promise<EdgePointer> {
  if (!opts.verified && !(await readKvMeta(kv, release))) {
    throw new EdgePushError(
      "EDGE_INCOMPLETE",
      `release ${release} is not completely in Workers KV (no ${edgeMetaKey(release)}); push it first: \`vitrine publish --data DIR --edge --release ${release}\``,
    );
  }
  const current = await readKvPointer(kv);
  const previous = current === null ? null : current.release === release ? (current.previous ?? null) : current.release;
  const pointer: EdgePointer = { format: EDGE_FORMAT, release, previous, pushedAt: new Date().toISOString() };
  await putKv(kv, EDGE_ACTIVE_KEY, JSON.stringify(pointer));
  await writeEdgePointerRecord(await openStore(dataDir), { release, previous, updated_at: pointer.pushedAt });
  return pointer;
}
