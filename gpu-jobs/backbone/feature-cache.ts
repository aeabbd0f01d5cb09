// The feature cache of a data directory: `<data>/cache/features/<features id>/` holds one
// `<image sha256>.f32` per image (tokens×C float32, little-endian) and `meta.json`, the backbone's
// record (file, hashes, JSON, tokens, C). The features id hashes the model bytes, its JSON and the
// pooling grid, so another backbone (or the same one with other preprocessing) never reads these.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BackboneRecord } from "../../encoders/index.ts";
import { localDir } from "../../lancedb/index.ts";

/** The cache folder of one backbone in a data directory. */
export function featureCacheDir(dataDir: string, id: string): string {
  return join(localDir(dataDir), "cache", "features", id);
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** One backbone's cached features. */
export class FeatureCache {
  /** Features written by this handle. */
  writes = 0;

  private constructor(
    /** The folder. */
    readonly dir: string,
  ) {}

  /** The cache of backbone `id` under dataDir (created). */
  static async open(dataDir: string, id: string): Promise<FeatureCache> {
    const dir = featureCacheDir(dataDir, id);
    await mkdir(dir, { recursive: true });
    return new FeatureCache(dir);
  }

  /** The record written with the first features, or null. */
  async meta(): Promise<BackboneRecord | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, "meta.json"), "utf8")) as BackboneRecord;
    } catch {
      return null;
    }
  }

  /** Record the backbone's shape (before its first features are trusted). */
  async writeMeta(record: BackboneRecord): Promise<void> {
    await writeAtomic(join(this.dir, "meta.json"), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** An image's features, or null when absent or of the wrong length (a damaged entry is a miss). */
  async read(imageKey: string, length: number): Promise<Float32Array | null> {
    try {
      const buf = await readFile(join(this.dir, `${imageKey}.f32`));
      if (buf.length !== length * 4) return null;
      // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    } catch {
      return null;
    }
  }

  /** Store an image's features (atomically: a crash never leaves half an entry). */
  async write(imageKey: string, values: Float32Array): Promise<void> {
    await writeAtomic(join(this.dir, `${imageKey}.f32`), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.writes++;
  }
}
