// Product images on an object store (s3://, az://, gs://): the originals an import kept (content-addressed: the key is the
// sha256 of the bytes, the catalog row's image_key) are put in the store as images/<key>, so every
// API replica can serve GET /v1/images/:id, not only the importing machine. Put once (If-None-Match:
// a key already there holds the same bytes), read back bounded and checked against the key.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Semaphore } from "../core/index.ts";
import { storeObjects } from "./store-objects.ts";
import { isStoreUri, parseStoreUri } from "./store-location.ts";

/** The folder under a store URI's prefix that holds the originals. */
export const STORE_IMAGES_DIR = "images";

/** The most bytes one original read from the store may have (the import's own bound on an image, 20 MiB). */
export const STORE_IMAGE_MAX_BYTES = 20 * 1024 * 1024;

const KEY = /^[0-9a-f]{64}$/;

/** What putStoreImages did. */
export interface StoreImagesResult {
  /** Originals written now. */
  stored: number;
  /** Originals the store had already (an earlier import of the same bytes). */
  present: number;
  /** Keys that could not be put, with why (the items serve no image from other machines). */
  failed: { key: string; reason: string }[];
}

/** Put the originals `keys` from the local folder `originalsDir` into the store (a store URI only; nothing to do for a local folder). */
export async function putStoreImages(dataDir: string, originalsDir: string, keys: Iterable<string>, concurrency = 8): Promise<StoreImagesResult> {
  const out: StoreImagesResult = { stored: 0, present: 0, failed: [] };
  if (!isStoreUri(dataDir)) return out;
  const objects = storeObjects(parseStoreUri(dataDir));
  const slots = new Semaphore(concurrency);
  await Promise.all(
    [...new Set(keys)].map((key) =>
      slots.run(async () => {
        try {
          if (!KEY.test(key)) throw new Error("not a sha256 key");
          const bytes = await readFile(join(originalsDir, key));
          const etag = await objects.put(`${STORE_IMAGES_DIR}/${key}`, new Uint8Array(bytes), { ifNoneMatch: "*" });
          if (etag === null) out.present++;
          else out.stored++;
        } catch (e) {
          out.failed.push({ key, reason: (e as Error).message });
        }
      }),
    ),
  );
  return out;
}

/** The original `key` from the store: its bytes when present, at most `maxBytes` and hashing to the key; else null (absent, too large, or other bytes). */
export async function readStoreImage(dataDir: string, key: string, maxBytes = STORE_IMAGE_MAX_BYTES): Promise<Uint8Array | null> {
  if (!KEY.test(key)) return null;
  const got = await storeObjects(parseStoreUri(dataDir)).getBytesUpTo(`${STORE_IMAGES_DIR}/${key}`, maxBytes);
  if (got === null || got === "too large") return null;
  return createHash("sha256").update(got).digest("hex") === key ? got : null;
}
