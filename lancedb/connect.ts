import "./quiet-log.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./errors.ts";
import { checkGcsCredentials } from "./gcs-objects.ts";
import { guardStoreErrors } from "./lance-store-errors.ts";
import { storeTimeoutMs } from "./object-requests.ts";
import { isStoreUri, lanceStorageOptions, parseStoreUri } from "./store-location.ts";
import * as lancedb from "@lancedb/lancedb";
import { LRUCache } from "lru-cache";

/** Path (or URI, for an s3://, az:// or gs:// data directory) of the LanceDB database inside a Vitrine data directory. */
export function storePath(dataDir: string): string {
  return isStoreUri(dataDir) ? `${parseStoreUri(dataDir).uri}/store` : join(dataDir, "store");
}

/**
 * Open the LanceDB database of a data directory. A local data directory must exist (LanceDB would
 * create it, so a mistyped --data used to list "no releases" and leave an empty folder behind);
 * the store inside it is created on first write. An s3://, az:// or gs:// one is reached with the
 * endpoint and credentials of the environment (store-location.ts), each of LanceDB's requests bounded
 * by VITRINE_STORE_TIMEOUT_MS, and the store's failures come out as STORE_UNAVAILABLE naming it
 * (lance-store-errors.ts).
 */
export async function openStore(dataDir: string, env: Record<string, string | undefined> = process.env): Promise<lancedb.Connection> {
  if (isStoreUri(dataDir)) {
    connectsMade++;
    const uri = storePath(dataDir);
    const loc = parseStoreUri(dataDir);
    // LanceDB's GCS client, given no working credentials, retries the metadata server for ~20 s and
    // then names neither the key variables nor the host: get the token first, failing fast and clearly.
    if (loc.scheme === "gs") await checkGcsCredentials(env);
    const db = await lancedb.connect(uri, { storageOptions: lanceStorageOptions(loc, env) });
    return guardStoreErrors(db, uri, storeTimeoutMs(env));
  }
  if (!existsSync(dataDir)) {
    throw new StoreError("STORE_MISSING", `${dataDir}: no such data directory; check --data, or run \`vitrine import --out ${dataDir}\` first`);
  }
  connectsMade++;
  return lancedb.connect(storePath(dataDir));
}

let connectsMade = 0;

/** LanceDB connections opened by this process so far (openStore and the shared ones): tests check that polling reuses one. */
export function storeConnectCount(): number {
  return connectsMade;
}

/** Most stores a process keeps a shared connection to (a server has one; the oldest is dropped past this). */
const SHARED_MAX = 8;
// lru-cache's get refreshes recency and set evicts the least recently used: the bound without a hand-written LRU.
const shared = new LRUCache<string, Promise<lancedb.Connection>>({ max: SHARED_MAX });

/** One store's key: the same path with other credentials or endpoint is another connection. */
function sharedKey(dataDir: string, env: Record<string, string | undefined>): string {
  return isStoreUri(dataDir) ? `${storePath(dataDir)}\n${JSON.stringify(lanceStorageOptions(parseStoreUri(dataDir), env))}` : storePath(dataDir);
}

/**
 * Run `fn` on the process's shared connection to a store, opening it on first use: what long-lived
 * readers that come back every second (a server following the active pointer) use, so a poll is a
 * few reads and not a new connection (on s3:// a new client, credentials and HTTP pool each time).
 * Tables are opened fresh inside `fn`, so each call still reads the latest versions. When `fn`
 * fails the connection is forgotten, and the next call connects again (an endpoint that went away
 * and came back, expired credentials replaced in the environment).
 */
export async function withSharedStore<T>(dataDir: string, fn: (db: lancedb.Connection) => Promise<T>, env: Record<string, string | undefined> = process.env): Promise<T> {
  const key = sharedKey(dataDir, env);
  let mine = shared.get(key);
  if (!mine) {
    mine = openStore(dataDir, env);
    shared.set(key, mine);
  }
  const forget = () => {
    if (shared.peek(key) === mine) shared.delete(key);
  };
  let db: lancedb.Connection;
  try {
    db = await mine;
  } catch (e) {
    forget();
    throw e;
  }
  try {
    return await fn(db);
  } catch (e) {
    // The store's own answers (no such release, no pointer yet) say nothing about the connection;
    // anything else (LanceDB's I/O errors, an unreachable endpoint) may be it: connect again next time.
    if (!(e instanceof StoreError) || e.code === "STORE_UNAVAILABLE") forget();
    throw e;
  }
}

/** Every table name in the store (paged: LanceDB may cap one listing). */
export async function allTableNames(db: lancedb.Connection): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const page = await db.tableNames({ limit: 1000, ...(names.length ? { startAfter: names[names.length - 1]! } : {}) });
    names.push(...page);
    if (page.length < 1000) return names;
  }
}
