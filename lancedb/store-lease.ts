// A lease (writer.lease, jobs.lease) as one object under an object store's prefix (s3://, az://),
// moved only by compare-and-swap: a conditional PUT (If-None-Match: * to create, If-Match: "etag"
// to replace exactly the version read; S3 and Azure Blob both honour them). Two writers started
// together both read the same state and both PUT against it; the store lets one through and refuses
// the other (S3: 412; Azure: 409 or 412), which then reads again and finds a live holder. No delete
// is needed (conditional DELETE is not on every S3-compatible store): releasing writes a `free`
// record with If-Match, and acquiring accepts a free record as absent.
//   - heartbeat: the holder rewrites its record with If-Match on its own last ETag every ttl/3 (a
//     beat counter makes each body, hence ETag, new); a refused write means it was taken over: lost.
//   - stale: the record's age by the store's clock (Date − Last-Modified of the GET) is over the
//     ttl, or its host is this host and its pid is gone (taken over at once). Taking over is the
//     same If-Match PUT, so of two takers only one wins.
import { storeObjects } from "./store-objects.ts";
import type { StoreUri } from "./store-location.ts";
import type { Lease, LeaseHolder } from "./writer-lease.ts";

/** What a stale check needs of a record. */
export type StaleCheck = (h: LeaseHolder, ageMs: number) => string | null;

/** The record as stored: a holder, or a released lease. */
type Record_ = (LeaseHolder & { beat?: number; free?: false }) | { free: true; releasedBy: string; at: string };

/** The current holder of lease `name`, or null when free or absent. */
export async function readStoreLease(loc: StoreUri, name: string): Promise<(LeaseHolder & { heartbeat: Date }) | null> {
  const cur = await storeObjects(loc).get(name);
  if (!cur) return null;
  const rec = JSON.parse(cur.text) as Record_;
  return rec.free ? null : { ...rec, heartbeat: new Date(Date.now() - cur.ageSeconds * 1000) };
}

/** What acquiring found when it could not take the lease. */
export type StoreAcquired = { lease: Lease } | { busy: LeaseHolder };

/** One attempt to take lease `name` for `me`: created, a free one taken, a stale one taken over, or busy with the live holder. */
export async function tryStoreLease(loc: StoreUri, name: string, me: LeaseHolder, stale: StaleCheck): Promise<StoreAcquired | null> {
  const store = storeObjects(loc);
  let beats = 0;
  const body = () => JSON.stringify({ ...me, beat: beats++ });
  const cur = await store.get(name);
  let etag: string | null;
  if (!cur) etag = await store.put(name, body(), { ifNoneMatch: "*" });
  else {
    const rec = JSON.parse(cur.text) as Record_;
    if (!rec.free && !stale(rec, cur.ageSeconds * 1000)) return { busy: rec };
    etag = await store.put(name, body(), { ifMatch: cur.etag });
  }
  if (etag === null) return null; // another writer moved it between our read and write: look again
  let mine = etag;
  return {
    lease: {
      beat: async () => {
        const next = await store.put(name, body(), { ifMatch: mine });
        if (next === null) return false;
        mine = next;
        return true;
      },
      release: async () => {
        await store.put(name, JSON.stringify({ free: true, releasedBy: me.token, at: new Date().toISOString() }), { ifMatch: mine });
      },
      isMine: async () => (await store.get(name))?.etag === mine,
    },
  };
}
