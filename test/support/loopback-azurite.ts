// A loopback Azure Blob service for tests: Azurite (Microsoft's emulator, pure JS, a devDependency;
// 3.33: 3.36 and later need Node 21, 3.34–3.35 add a telemetry dependency) in a child process on
// 127.0.0.1, in memory, with one container created at start. Unlike s3rver it needs no guard: Put
// Blob's If-None-Match: * (409 BlobAlreadyExists) and If-Match (412 ConditionNotMet) are checked and
// the blob inserted in one synchronous step of its metadata store, and a blob's bytes are written
// before it is listed, so a read never sees half of one.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStoreContainer } from "../../lancedb/index.ts";
import { childListening } from "./child-listening.ts";

const require_ = createRequire(import.meta.url);

/** Azurite's one account and its published key (the emulator's well-known development credentials). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A running loopback Azurite. */
export interface LoopbackAzure {
  /** The blob service URL, path-style: http://127.0.0.1:PORT/devstoreaccount1 */
  endpoint: string;
  /** The container created at start (what az://CONTAINER/PREFIX names). */
  bucket: string;
  /** AZURE_STORAGE_* variables that point a LanceDB / Vitrine process at it. */
  env: Record<string, string>;
  /** Stop the server (its data was only in memory). */
  close(): Promise<void>;
}

/** The environment that points a LanceDB / Vitrine process at a loopback Azurite. */
function envFor(endpoint: string): Record<string, string> {
  return { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: AZURITE_KEY, AZURE_STORAGE_ENDPOINT: endpoint };
}

/** Start Azurite's blob service on 127.0.0.1 (a free port) in a child process, and create `container` in it. */
export async function spawnLoopbackAzurite(container = "vitrine"): Promise<LoopbackAzure> {
  const main = require_.resolve("azurite/dist/src/blob/main.js");
  // Its own working folder: Azurite may write debug or lock files to the current one.
  const cwd = await mkdtemp(join(tmpdir(), "vitrine-azurite-"));
  const args = [main, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--extentMemoryLimit", "512", "--silent"];
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(cwd, { recursive: true, force: true });
  };
  try {
    const address = await childListening(child, "Azurite", /successfully listens on (http:\/\/\S+)/);
    const endpoint = `${address}/${AZURITE_ACCOUNT}`;
    const env = envFor(endpoint);
    await createStoreContainer(`az://${container}`, env);
    return { endpoint, bucket: container, env, close };
  } catch (e) {
    await close();
    throw e;
  }
}
