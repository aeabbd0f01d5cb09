// A trained release's model files (query.onnx, tokenizer.json, model.json, ...) on an s3://, az:// or gs:// store.
// Publish snapshots the exported model on local disk (encoders/model-snapshot.ts), then copies the
// snapshot's files to <uri>/models/<stamp>/ and writes files.json there last, so a listing that is
// there means every file is; the release records that URI. A server opening the release copies the
// folder back into its local working folder once (immutable: the stamp names one export) and loads
// the query tower from there.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { StoreError } from "./errors.ts";
import { storeObjects } from "./store-objects.ts";
import { isStoreUri, localDir, parseStoreUri } from "./store-location.ts";

/** The listing written last under a stored model folder. */
const FILES = "files.json";

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isFile()) out.push(relative(root, join(dir, e.name)));
    else if (e.isDirectory()) out.push(...(await filesUnder(root, join(dir, e.name))));
  }
  return out.sort();
}

/** Copy a local model snapshot to the store of `dataDir` (an s3://, az:// or gs:// URI) once; returns the folder's URI. A local data directory keeps the snapshot where it is. */
export async function storeModelSnapshot(dataDir: string, snapshot: string): Promise<string> {
  if (!isStoreUri(dataDir)) return snapshot;
  const uri = `${parseStoreUri(dataDir).uri}/models/${basename(snapshot)}`;
  const objects = storeObjects(parseStoreUri(uri));
  if (await objects.get(FILES)) return uri; // published before: the stamp names one export
  const files = await filesUnder(snapshot);
  for (const f of files) await objects.put(f, await readFile(join(snapshot, f)));
  await objects.put(FILES, JSON.stringify({ files }));
  return uri;
}

/** A model folder on local disk: `modelDir` itself, or for a store URI its copy in the local working folder (made once). */
export async function localModelDir(modelDir: string): Promise<string> {
  if (!isStoreUri(modelDir)) return modelDir;
  // One folder per stored model (its stamp): a working folder set by VITRINE_WORK_DIR is shared by
  // every URI under the store, and a release published later must not find the earlier model here.
  const dest = join(localDir(modelDir), "models", basename(modelDir));
  if (existsSync(join(dest, FILES))) return dest;
  const objects = storeObjects(parseStoreUri(modelDir));
  const listing = await objects.get(FILES);
  if (!listing) throw new StoreError("RELEASE_INCOMPLETE", `${modelDir} holds no complete model (no ${FILES}); publish the model again`);
  const { files } = JSON.parse(listing.text) as { files: string[] };
  const tmp = `${dest}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  for (const f of files) {
    const bytes = await objects.getBytes(f);
    if (!bytes) throw new StoreError("RELEASE_INCOMPLETE", `${modelDir}/${f} is missing; publish the model again`);
    await mkdir(dirname(join(tmp, f)), { recursive: true });
    await writeFile(join(tmp, f), bytes);
  }
  await writeFile(join(tmp, FILES), listing.text);
  await mkdir(dirname(dest), { recursive: true });
  await rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
    // Another process of this machine copied it first: use theirs.
    if (!existsSync(join(dest, FILES))) throw e;
    await rm(tmp, { recursive: true, force: true });
  });
  return dest;
}
