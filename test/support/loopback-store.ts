// One loopback object store of either kind the store URIs take (s3:// on s3rver behind the
// conditional-PUT guard, az:// on Azurite), so a test written once runs on both.
import { spawnLoopbackAzurite } from "./loopback-azurite.ts";
import { spawnLoopbackS3 } from "./loopback-s3.ts";

/** The URI schemes of the object stores Vitrine takes. */
export type StoreScheme = "s3" | "az";

/** A running loopback store, in the shape both servers share. */
export interface LoopbackStore {
  /** "s3" or "az": the URI scheme that reaches it. */
  scheme: StoreScheme;
  /** The bucket (S3) or container (Azure) created at start. */
  bucket: string;
  /** Variables that point a LanceDB / Vitrine process at it (AWS_* or AZURE_STORAGE_*). */
  env: Record<string, string>;
  /** Stop the server and drop its data. */
  close(): Promise<void>;
}

/** Start a loopback store of `scheme` in a child process on 127.0.0.1. */
export async function spawnLoopbackStore(scheme: StoreScheme): Promise<LoopbackStore> {
  const s = scheme === "s3" ? await spawnLoopbackS3() : await spawnLoopbackAzurite();
  return { scheme, bucket: s.bucket, env: s.env, close: () => s.close() };
}

/** `scheme://bucket/path` on the store. */
export function storeUri(store: LoopbackStore, path: string): string {
  return `${store.scheme}://${store.bucket}/${path}`;
}
