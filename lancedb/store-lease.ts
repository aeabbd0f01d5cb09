// A lease (writer.lease, jobs.lease) as one object under an object store's prefix (s3://, az://, gs://),
// moved only by compare-and-swap: a conditional PUT (If-None-Match: * to create, If-Match: "etag"
// to replace exactly the version read; S3 and Azure Blob both honour them). Two writers started
// together both read the same state and both PUT against it; the store lets one through and refuses
// the other (S3: 412; Azure: 409 or 412), which then reads again and finds a live holder. No delete
// is needed (conditional DELETE is not on every S3-compatible store): releasing writes a `free`
// record with If-Match, and acquiring accepts a free record as absent.
//   - heartbeat: the holder rewrites its record with If-Match on its own last ETag every ttl/3 (a
//     beat counter makes each body, hence ETag, new), one request at a time; a refused write means
//     it was taken over (lost), unless the record still carries the holder's token (a beat that
//     timed out had landed): then it beats again on that version.
//   - stale: the record's age by the store's clock is over the ttl, or its host is this host and its
//     pid is gone (taken over at once). The age is Date − Last-Modified of the GET less a second:
//     both are whole-second HTTP dates, so it is a lower bound and a takeover comes 1–2 s after the
//     ttl, never before. Taking over is the same If-Match PUT, so of two takers only one wins.
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
  /** Write `text` over our version; when refused but the record still carries our token, our last write had landed unseen (it timed out): take its ETag and write again. */
  const putMine = async (text: () => string): Promise<boolean> => {
    for (let tries = 0; tries < 2; tries++) {
      const next = await store.put(name, text(), { ifMatch: mine });
      if (next !== null) return ((mine = next), true);
      const cur = await store.get(name);
      if (!cur || !ours(cur.text)) return false;
      mine = cur.etag;
    }
    return false;
  };
  // A record is ours when it carries our token: it is random per acquisition, and a take-over or a release writes another record.
  const ours = (text: string) => {
    const rec = JSON.parse(text) as Record_;
    return !rec.free && rec.token === me.token;
  };
  // One request of this lease at a time: a beat sent while the last one is still out would replace the version that one replaces, and be refused (a lost lease that is not).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };
  let beating: Promise<boolean> | null = null;
  return {
    lease: {
      // A beat asked for while one is out shares its answer.
      beat: () => {
        beating ??= serial(() => putMine(body)).finally(() => {
          beating = null;
        });
        return beating;
      },
      release: () =>
        serial(async () => {
          await putMine(() => JSON.stringify({ free: true, releasedBy: me.token, at: new Date().toISOString() }));
        }),
      isMine: () =>
        serial(async () => {
          const cur = await store.get(name);
          return cur !== null && ours(cur.text);
        }),
    },
  };
}
