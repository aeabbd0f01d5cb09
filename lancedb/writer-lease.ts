// One writer per data directory: a lease file, DIR/writer.lease, held while a release id is chosen
// and written (publish), while the pointer moves (activate, rollback), while gc drops tables and
// while shard outputs are merged into the embeddings table. Readers (serve) never take it. The same
// mechanism gives DIR/jobs.lease, held by the one job manager of a data directory for its lifetime.
//
// Acquire: the holder's record is written to a temp file and hard-linked to the lease path, so the
// lease appears whole or not at all and link() fails with EEXIST when another writer holds it.
// The holder touches the file's mtime every ttl/3 (a heartbeat). A lease is stale when
//   - its host is this host and its pid is no longer alive (kill -9, OOM, power cut: taken over at once), or
//   - its mtime is older than the ttl (a holder on another machine sharing the directory, or frozen).
// Taking over renames the stale file aside and checks it was the one judged stale; if another
// taker's fresh lease was moved instead it is linked back (a third writer racing in that window
// keeps the lease it got; the mover gives up its turn).
// On an s3://, az:// or gs:// data directory the lease is an object moved by conditional PUT instead (store-lease.ts):
// the same holder record, heartbeat and staleness rules, with compare-and-swap in place of link().
// Hand-written rather than proper-lockfile: that library's lock carries no holder record (the error
// must name the holder) and decides staleness by mtime alone (a killed holder on the same host would
// block for the whole stale period); with the record it would need the same file handling as here.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { link, readFile, rename, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { dataFilePath } from "./data-files.ts";
import { StoreError } from "./errors.ts";
import { readStoreLease, tryStoreLease } from "./store-lease.ts";
import { isStoreUri, parseStoreUri } from "./store-location.ts";

/** Name of the lease file inside a data directory. */
export const WRITER_LEASE_FILE = "writer.lease";

/** The record a lease file holds. */
export interface LeaseHolder {
  /** Random id of this acquisition (a takeover checks it moved the lease it judged stale). */
  token: string;
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** What the holder is doing ("publish", "activate", ...). */
  purpose: string;
  /** The holder's command line, for the person reading the error (secret flags' values redacted). */
  command: string;
  /** ISO time the lease was taken. */
  since: string;
}

/** How to take the lease. */
export interface WriterLeaseOptions {
  /** Keep retrying this long while another live writer holds it (default 0: fail at once with WRITER_BUSY). */
  waitMs?: number;
  /** A lease whose heartbeat is older than this is stale (default 30 s; the holder beats every ttl/3). */
  ttlMs?: number;
}

const DEFAULT_TTL_MS = 30_000;
const SECRET_FLAG = /token|key|secret|password|credential/i;

/** This process's command line for the lease record, with the values of secret-looking flags (--edge-token ...) left out. */
export function redactedCommand(argv: readonly string[] = process.argv.slice(1)): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = a.split("=")[0]!;
    if (!a.startsWith("--") || !SECRET_FLAG.test(flag)) out.push(a);
    else if (a.includes("=")) out.push(`${flag}=***`);
    else {
      out.push(a);
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        out.push("***");
        i++;
      }
    }
  }
  return out.join(" ").slice(0, 300);
}
/** Leases this process holds, per lease file: nested writers in one process share the lease. */
const held = new Map<string, { holder: LeaseHolder; count: number; timer: NodeJS.Timeout; lost: boolean; lease: Lease }>();

/** A lease taken, on a file (link) or an object (conditional PUT). */
export interface Lease {
  /** Renew the heartbeat; false when another process took it over. */
  beat(): Promise<boolean>;
  /** Give it up (a lease lost to another process is left to its new holder). */
  release(): Promise<void>;
  /** True while it is still this acquisition's. */
  isMine(): Promise<boolean>;
}

/** Name of the jobs lease: held by the one job manager (an API with jobs on, `vitrine retrain`) of a data directory. */
export const JOBS_LEASE_FILE = "jobs.lease";

/** Path (or object URI) of a data directory's lease file. */
export function writerLeasePath(dataDir: string): string {
  return dataFilePath(dataDir, WRITER_LEASE_FILE);
}

/** The current holder of the data directory's writer lease, or null when free. */
export async function readWriterLease(dataDir: string): Promise<(LeaseHolder & { heartbeat: Date }) | null> {
  return isStoreUri(dataDir) ? readStoreLease(parseStoreUri(dataDir), WRITER_LEASE_FILE) : readLeaseFile(writerLeasePath(dataDir));
}

async function readLeaseFile(path: string): Promise<(LeaseHolder & { heartbeat: Date }) | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { ...(JSON.parse(text) as LeaseHolder), heartbeat: st.mtime };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/** Why a lease is stale, or null while its holder counts as live. */
export function staleReason(h: LeaseHolder & { heartbeat: Date }, ttlMs: number, now = Date.now()): string | null {
  if (h.host === hostname() && !alive(h.pid)) return `pid ${h.pid} is not running`;
  const age = now - h.heartbeat.getTime();
  return age > ttlMs ? `no heartbeat for ${Math.round(age / 1000)} s (ttl ${ttlMs / 1000} s)` : null;
}

type BusyError = (path: string, h: LeaseHolder, ttlMs: number) => StoreError;

const takenOverHow = (path: string, h: LeaseHolder, ttlMs: number) =>
  `If that process is gone, its lease is taken over at once on ${h.host} or after ${ttlMs / 1000} s without a heartbeat elsewhere; or delete ${path} once you are sure it is gone`;

function jobsBusy(path: string, h: LeaseHolder, ttlMs: number): StoreError {
  return new StoreError(
    "JOBS_BUSY",
    `another process runs the jobs of this data directory (${path}): pid ${h.pid} on ${h.host} since ${h.since} (${h.command}); ` +
      `start this one with VITRINE_JOBS=off (a read replica), or stop that one first. ${takenOverHow(path, h, ttlMs)}`,
  );
}

function busy(path: string, h: LeaseHolder, ttlMs: number): StoreError {
  return new StoreError(
    "WRITER_BUSY",
    `another writer holds ${path}: ${h.purpose} by pid ${h.pid} on ${h.host} since ${h.since} (${h.command}); ` +
      `wait for it to finish and run this again. If that process is gone, its lease is taken over at once on ${h.host} ` +
      `or after ${ttlMs / 1000} s without a heartbeat elsewhere; or delete ${path} once you are sure nothing writes`,
  );
}

async function tryLink(path: string, holder: LeaseHolder): Promise<boolean> {
  const tmp = `${path}.${holder.token}.tmp`;
  await writeFile(tmp, JSON.stringify(holder));
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function takeOver(path: string, stale: LeaseHolder, mine: string): Promise<void> {
  const aside = `${path}.${mine}.stale`;
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // someone else took it over first
    throw e;
  }
  const moved = JSON.parse(await readFile(aside, "utf8").catch(() => "{}")) as Partial<LeaseHolder>;
  if (moved.token !== stale.token) await link(aside, path).catch(() => {}); // a fresh lease: put it back
  await unlink(aside).catch(() => {});
}

/** A lease file taken with link(): beaten by touching its mtime, released by unlinking it. */
function fileLease(path: string, holder: LeaseHolder): Lease {
  const isMine = async () => (await readLeaseFile(path).catch(() => null))?.token === holder.token;
  return {
    beat: async () => {
      if (!(await isMine())) return false;
      await utimes(path, new Date(), new Date()).catch(() => {});
      return true;
    },
    release: async () => {
      if (await isMine()) await unlink(path).catch(() => {});
    },
    isMine,
  };
}

/** One attempt on a lease file: taken, a stale one moved aside (try again), or busy with the live holder. */
async function tryFileLease(path: string, me: LeaseHolder, ttlMs: number): Promise<{ lease: Lease } | { busy: LeaseHolder } | null> {
  if (await tryLink(path, me)) return { lease: fileLease(path, me) };
  const h = await readLeaseFile(path).catch(() => null); // a half-renamed or vanished file: look again
  if (!h) return null;
  if (!staleReason(h, ttlMs)) return { busy: h };
  await takeOver(path, h, me.token);
  return null;
}

async function acquire(dataDir: string, name: string, purpose: string, opts: WriterLeaseOptions, onBusy: BusyError): Promise<{ holder: LeaseHolder; lease: Lease }> {
  const onStore = isStoreUri(dataDir);
  if (!onStore && !existsSync(dataDir)) throw new StoreError("STORE_MISSING", `${dataDir}: no such data directory; check --data, or run \`vitrine import --out ${dataDir}\` first`);
  const path = dataFilePath(dataDir, name);
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  const deadline = Date.now() + (opts.waitMs ?? 0);
  const me: LeaseHolder = { token: randomUUID(), pid: process.pid, host: hostname(), purpose, command: redactedCommand(), since: "" };
  for (;;) {
    me.since = new Date().toISOString();
    const got = onStore
      ? await tryStoreLease(parseStoreUri(dataDir), name, me, (h, ageMs) => staleReason({ ...h, heartbeat: new Date(Date.now() - ageMs) }, ttlMs))
      : await tryFileLease(path, me, ttlMs);
    if (!got) continue;
    if ("lease" in got) return { holder: me, lease: got.lease };
    if (Date.now() >= deadline) throw onBusy(path, got.busy, ttlMs);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Take (or share, within this process) lease `name` of a data directory, beating it until the returned release() brings the count to 0. */
async function hold(dataDir: string, name: string, purpose: string, opts: WriterLeaseOptions, onBusy: BusyError): Promise<() => Promise<void>> {
  const key = leaseKey(dataDir, name);
  let mine = held.get(key);
  if (mine) mine.count++;
  else {
    const { holder, lease } = await acquire(dataDir, name, purpose, opts, onBusy);
    const beat = async () => {
      if (!(await lease.beat().catch(() => true))) entry.lost = true; // a failed request is not a lost lease: the next beat tells
    };
    const entry = { holder, lease, count: 1, lost: false, timer: setInterval(() => void beat(), Math.max(100, (opts.ttlMs ?? DEFAULT_TTL_MS) / 3)) };
    entry.timer.unref();
    held.set(key, entry);
    mine = entry;
  }
  const entry = mine;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--entry.count > 0) return;
    held.delete(key);
    clearInterval(entry.timer);
    await entry.lease.release().catch(() => {});
  };
}

function leaseKey(dataDir: string, name: string): string {
  return isStoreUri(dataDir) ? dataFilePath(dataDir, name) : resolve(join(dataDir, name));
}

/**
 * Run `fn` holding the data directory's writer lease (taken, beaten while `fn` runs, released after).
 * Throws StoreError WRITER_BUSY, naming the holder, when a live writer holds it past `waitMs`.
 */
export async function withWriterLease<T>(dataDir: string, purpose: string, fn: () => Promise<T>, opts: WriterLeaseOptions = {}): Promise<T> {
  const release = await hold(dataDir, WRITER_LEASE_FILE, purpose, opts, busy);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Take the data directory's jobs lease for a job manager's lifetime: two job managers on one
 * directory would each mark the other's running job interrupted and both start its queued ones.
 * Throws StoreError JOBS_BUSY naming the holder; the returned function releases it.
 */
export function holdJobsLease(dataDir: string, opts: WriterLeaseOptions = {}): Promise<() => Promise<void>> {
  return hold(dataDir, JOBS_LEASE_FILE, "job manager", opts, jobsBusy);
}

/** Fail unless this process still holds the lease (checked right before a commit that others could race). */
export async function assertWriterLease(dataDir: string): Promise<void> {
  const mine = held.get(leaseKey(dataDir, WRITER_LEASE_FILE));
  if (!mine || mine.lost || !(await mine.lease.isMine().catch(() => false))) {
    throw new StoreError(
      "WRITER_LOST",
      `the writer lease ${writerLeasePath(dataDir)} was taken over while this process wrote (its heartbeat stalled past the ttl); nothing was recorded, run it again`,
    );
  }
}
