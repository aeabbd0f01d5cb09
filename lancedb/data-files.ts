// The small JSON records a data directory keeps beside its store (import.json, embed.json): files
// in a local folder (written whole: temp file + rename), objects under a store URI's prefix (a PUT is
// whole by itself).
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { storeObjects } from "./store-objects.ts";
import { isStoreUri, parseStoreUri } from "./store-location.ts";

/** Where record `name` of a data directory is, for messages. */
export function dataFilePath(dataDir: string, name: string): string {
  return isStoreUri(dataDir) ? `${parseStoreUri(dataDir).uri}/${name}` : join(dataDir, name);
}

/** The text of record `name`, or null when there is none. */
export async function readDataFile(dataDir: string, name: string): Promise<string | null> {
  if (isStoreUri(dataDir)) return (await storeObjects(parseStoreUri(dataDir)).get(name))?.text ?? null;
  try {
    return await readFile(join(dataDir, name), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Replace record `name` whole, so a crash never leaves half of one. */
export async function writeDataFile(dataDir: string, name: string, text: string): Promise<void> {
  if (isStoreUri(dataDir)) {
    await storeObjects(parseStoreUri(dataDir)).put(name, text);
    return;
  }
  const path = join(dataDir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Delete record `name` (nothing happens when there is none). */
export async function deleteDataFile(dataDir: string, name: string): Promise<void> {
  if (isStoreUri(dataDir)) await storeObjects(parseStoreUri(dataDir)).delete(name);
  else await rm(join(dataDir, name), { force: true });
}

/** The names directly under folder `dir` of a data directory (records and sub-folders), sorted; [] when there is none. At most `max`. */
export async function listDataFiles(dataDir: string, dir: string, max = 10_000): Promise<string[]> {
  if (isStoreUri(dataDir)) return storeObjects(parseStoreUri(dataDir)).list(dir, max);
  try {
    return (await readdir(join(dataDir, dir))).sort().slice(0, max);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}
