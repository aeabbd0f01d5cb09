import "./quiet-log.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./errors.ts";
import { isStoreUri, lanceStorageOptions, parseStoreUri, s3Settings } from "./store-location.ts";
import * as lancedb from "@lancedb/lancedb";

/** Path (or URI, for an s3:// data directory) of the LanceDB database inside a Vitrine data directory. */
export function storePath(dataDir: string): string {
  return isStoreUri(dataDir) ? `${parseStoreUri(dataDir).uri}/store` : join(dataDir, "store");
}

/**
 * Open the LanceDB database of a data directory. A local data directory must exist (LanceDB would
 * create it, so a mistyped --data used to list "no releases" and leave an empty folder behind);
 * the store inside it is created on first write. An s3:// one is reached with the endpoint and
 * credentials of the environment (store-location.ts).
 */
export async function openStore(dataDir: string, env: Record<string, string | undefined> = process.env): Promise<lancedb.Connection> {
  if (isStoreUri(dataDir)) return lancedb.connect(storePath(dataDir), { storageOptions: lanceStorageOptions(s3Settings(env)) });
  if (!existsSync(dataDir)) {
    throw new StoreError("STORE_MISSING", `${dataDir}: no such data directory; check --data, or run \`vitrine import --out ${dataDir}\` first`);
  }
  return lancedb.connect(storePath(dataDir));
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
