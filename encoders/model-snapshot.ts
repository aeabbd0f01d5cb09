// A release must keep answering with the model it was built with, even after a re-export
// replaces DIR/model: publishing copies the model folder to DIR/models/<created-at> (immutable)
// and records that path.
import { existsSync } from "node:fs";
import { cp, readFile, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";

/** Copy an exported model folder into `<dataDir>/models/<createdAt>` once; returns that folder. */
export async function snapshotModel(dataDir: string, modelDir: string): Promise<string> {
  let card: { createdAt: string };
  try {
    card = JSON.parse(await readFile(join(modelDir, "model.json"), "utf8")) as { createdAt: string };
  } catch {
    throw new Error(`${modelDir} holds no exported model (model.json); run \`vitrine export\` first`);
  }
  const dest = resolve(join(dataDir, "models", card.createdAt.replace(/[^0-9A-Za-z]/g, "")));
  if (!existsSync(join(dest, "model.json"))) {
    await rm(`${dest}.tmp`, { recursive: true, force: true });
    await cp(modelDir, `${dest}.tmp`, { recursive: true });
    await rename(`${dest}.tmp`, dest);
  }
  return dest;
}
