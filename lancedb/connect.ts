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
