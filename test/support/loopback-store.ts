// One loopback object store of each kind the store URIs take (s3:// on s3rver behind the
// conditional-PUT guard, az:// on Azurite, gs:// on the loopback GCS written here), so a test
// written once runs on all.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnLoopbackAzurite } from "./loopback-azurite.ts";
import { spawnLoopbackGcs } from "./loopback-gcs.ts";
import { setEnv, spawnLoopbackS3 } from "./loopback-s3.ts";

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

/** A started store server, a temporary folder, and process.env pointed at both. */
export interface StoreFixture<S> {
  /** The server, as its start function returned it. */
  server: S;
  /** The temporary folder (removed by close). */
  dir: string;
  /** Restore process.env, stop the server, remove the folder. */
  close(): Promise<void>;
}

/**
 * What a store test's beforeAll sets up: start the server, make `vitrine-LABEL-…` in the temp
 * folder, and set the server's variables plus VITRINE_WORK_DIR = DIR/workDir in process.env.
 */
export async function storeFixture<S extends { env: Record<string, string>; close(): Promise<void> }>(start: () => Promise<S>, label: string, workDir = "work"): Promise<StoreFixture<S>> {
  const server = await start();
  const dir = await mkdtemp(join(tmpdir(), `vitrine-${label}-`));
  const restoreEnv = setEnv({ ...server.env, VITRINE_WORK_DIR: join(dir, workDir) });
  return {
    server,
    dir,
    close: async () => {
      restoreEnv();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
