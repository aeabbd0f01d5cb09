// One loopback object store of each kind the store URIs take (s3:// on s3rver behind the
// conditional-PUT guard, az:// on Azurite, gs:// on the loopback GCS written here), so a test
// written once runs on all.
import { spawnLoopbackAzurite } from "./loopback-azurite.ts";
import { spawnLoopbackGcs } from "./loopback-gcs.ts";
import { spawnLoopbackS3 } from "./loopback-s3.ts";

/** The URI schemes of the object stores Vitrine takes. */
export type StoreScheme = "s3" | "az" | "gs";

/** A running loopback store, in the shape the servers share. */
export interface LoopbackStore {
  /** "s3", "az" or "gs": the URI scheme that reaches it. */
  scheme: StoreScheme;
  /** The bucket (S3, GCS) or container (Azure) created at start. */
  bucket: string;
  /** Variables that point a LanceDB / Vitrine process at it (AWS_*, AZURE_STORAGE_* or GOOGLE_SERVICE_ACCOUNT). */
  env: Record<string, string>;
  /** Stop the server and drop its data. */
  close(): Promise<void>;
}

/** Start a loopback store of `scheme` in a child process on 127.0.0.1. */
export async function spawnLoopbackStore(scheme: StoreScheme): Promise<LoopbackStore> {
  const s = scheme === "s3" ? await spawnLoopbackS3() : scheme === "az" ? await spawnLoopbackAzurite() : await spawnLoopbackGcs();
  return { scheme, bucket: s.bucket, env: s.env, close: () => s.close() };
}

/** `scheme://bucket/path` on the store. */
export function storeUri(store: LoopbackStore, path: string): string {
  return `${store.scheme}://${store.bucket}/${path}`;
}
