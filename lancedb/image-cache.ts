// The import's image cache belongs to the data directory, like the import manifest: ingest writes
// it (fetched bytes, thumbnails, the originals it imported), the API reads the originals back to
// serve GET /v1/images/:id without fetching anything again. One layout, named here.
import { join, resolve } from "node:path";
import { localDir } from "./store-location.ts";

/** Folder of the image cache when the import was not given one: `<data>/cache/images` (on an s3:// store, in its local working folder). */
export function defaultImageCacheDir(dataDir: string): string {
  return join(resolve(localDir(dataDir)), "cache", "images");
}

/** The folders inside an image cache. */
export interface ImageCacheLayout {
  /** Bytes fetched over HTTP, by sha256 of the URL (so a re-import fetches nothing). */
  http: string;
  /** Square RGB thumbnails of `size` pixels, `<key>.rgb`, by sha256 of the source bytes. */
  thumbs(size: number): string;
  /** Every imported original, content-addressed: `<key>` is the sha256 of its bytes (the catalog row's image_key). */
  originals: string;
  /** Variants the API derives from originals (resized thumbnails, PNG copies of formats browsers cannot show). */
  served: string;
}

/** The layout of the image cache at `cacheDir`. */
export function imageCacheLayout(cacheDir: string): ImageCacheLayout {
  const root = resolve(cacheDir);
  return {
    http: join(root, "http"),
    thumbs: (size) => join(root, "thumbs", String(size)),
    originals: join(root, "originals"),
    served: join(root, "served"),
  };
}
