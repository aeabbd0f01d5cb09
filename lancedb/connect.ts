import "./quiet-log.ts";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";

/** Path of the LanceDB database inside a Vitrine data directory. */
export function storePath(dataDir: string): string {
  return join(dataDir, "store");
}

/** Open (creating if needed) the LanceDB database of a data directory. */
export async function openStore(dataDir: string): Promise<lancedb.Connection> {
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
