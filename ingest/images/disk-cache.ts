import { createHash, randomBytes } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";

/** sha256 of a string or bytes, as lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Read a cache file; undefined when absent or unreadable (a broken cache entry is a miss, never a failure). */
export async function readCacheFile(file: string): Promise<Uint8Array | undefined> {
  try {
    const buf = await readFile(file);
    // A plain Uint8Array view, like freshly decoded thumbnails, so hits and misses look alike to callers.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch {
    return undefined;
  }
}

/** Write a file atomically: a temp file beside it, then rename, so a crash never leaves a half file under the real name. */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  // pid + random: concurrent writers (two loaders, two processes) never share a temp file.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
