// A lease (writer.lease, jobs.lease) as one object under an s3:// store's prefix, moved only by
// compare-and-swap: S3's conditional PUT (If-None-Match: * to create, If-Match: "etag" to replace
// exactly the version read). Two writers started together both read the same state and both PUT
// against it; the store lets one through and answers 412 to the other, which then reads again and
// finds a live holder. No delete is needed (conditional DELETE is not on every S3-compatible store):
// releasing writes a `free` record with If-Match, and acquiring accepts a free record as absent.
//   - heartbeat: the holder rewrites its record with If-Match on its own last ETag every ttl/3 (a
//     beat counter makes each body, hence ETag, new); a 412 means it was taken over: lost.
//   - stale: the record's age by the store's clock (Date − Last-Modified of the GET) is over the
//     ttl, or its host is this host and its pid is gone (taken over at once). Taking over is the
//     same If-Match PUT, so of two takers only one wins.
import { S3Objects } from "./s3-objects.ts";
import type { StoreUri } from "./store-location.ts";
import type { Lease, LeaseHolder } from "./writer-lease.ts";

/** What a stale check needs of a record. */
export type StaleCheck = (h: LeaseHolder, ageMs: number) => string | null;

/** The record as stored: a holder, or a released lease. */
type Record_ = (LeaseHolder & { beat?: number; free?: false }) | { free: true; releasedBy: string; at: string };

/** The current holder of lease `name`, or null when free or absent. */
export async function readS3Lease(loc: StoreUri, name: string): Promise<(LeaseHolder & { heartbeat: Date }) | null> {
  const cur = await new S3Objects(loc).get(name);
  if (!cur) return null;
  const rec = JSON.parse(cur.text) as Record_;
  return rec.free ? null : { ...rec, heartbeat: new Date(Date.now() - cur.ageSeconds * 1000) };
}

/** What acquiring found when it could not take the lease. */
export type S3Acquired = { lease: Lease } | { busy: LeaseHolder };

/** One attempt to take lease `name` for `me`: created, a free one taken, a stale one taken over, or busy with the live holder. */
export async function tryS3Lease(loc: StoreUri, name: string, me: LeaseHolder, stale: StaleCheck): Promise<S3Acquired | null> {
  const store = new S3Objects(loc);
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
