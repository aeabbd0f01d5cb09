// Publishing a trained model: snapshot the exported model folder into the data directory, serve
// queries through its query tower and items from `vitrine embed`'s vectors. The one path for
// `vitrine publish --encoder onnx` and the retrain job's stages.
import { join } from "node:path";
import type { ReleaseInfo, TextEmbedder } from "../core/index.ts";
import { readEmbeddings, readEmbedState } from "./embeddings.ts";
import { StoreError } from "./errors.ts";
import { storeModelSnapshot } from "./model-files.ts";
import { publishRelease, type PublishOptions } from "./publish.ts";
import { localDir } from "./store-location.ts";

/**
 * What publishing a trained model needs from encoders/. The store may not import encoders
 * (DESIGN §1), so the caller that may (bin/, gpu-jobs/) hands these in; they load ONNX Runtime only
 * when called.
 */
export interface OnnxLoaders {
  /** Copy an exported model folder into `<dataDir>/models/<createdAt>` once; returns that folder. */
  snapshotModel(dataDir: string, modelDir: string): Promise<string>;
  /** The trained query tower of a model folder, as a TextEmbedder. */
  createQueryEncoder(modelDir: string): Promise<TextEmbedder>;
}

/** Options of publishTrainedModel: publish's own, less the encoder and vectors it derives. */
export interface PublishTrainedOptions extends Omit<PublishOptions, "encoder" | "itemVectors"> {
  /** Exported model folder (default `<dataDir>/model`). */
  modelDir?: string;
  /** The encoders' loaders. */
  onnx: OnnxLoaders;
}

/** Publish the exported model with the item vectors `vitrine embed` wrote. */
export async function publishTrainedModel(opts: PublishTrainedOptions): Promise<ReleaseInfo> {
  const { modelDir, onnx, ...publish } = opts;
  // A release keeps the model it was built with: the snapshot copies it once (on an s3:// store, on
  // local disk and then to the store, whose URI the release records for the servers).
  const local = localDir(opts.dataDir);
  const snapshot = await onnx.snapshotModel(local, modelDir ?? join(local, "model"));
  const loaded = await onnx.createQueryEncoder(snapshot);
  const stored = await storeModelSnapshot(opts.dataDir, snapshot);
  const encoder = stored === snapshot ? loaded : withModelDir(loaded, stored);
  // Item vectors and query tower must come from one export (one image backbone): embed's record says which.
  const embedded = await readEmbedState(opts.dataDir);
  const createdAt = encoder.config?.createdAt;
  if (embedded && createdAt !== undefined && embedded.createdAt !== createdAt) {
    throw new StoreError(
      "EMBEDDINGS_STALE",
      `the embeddings in ${opts.dataDir} were made with the model exported at ${embedded.createdAt} (${embedded.modelDir}), not the one being published (exported at ${createdAt}); run \`vitrine embed --data ${opts.dataDir}${modelDir ? ` --model ${modelDir}` : ""}\` first`,
    );
  }
  return publishRelease({ ...publish, encoder, itemVectors: readEmbeddings(opts.dataDir) });
}

/** The same encoder, recording `modelDir` (the stored copy) as where servers rebuild it from. */
function withModelDir(e: TextEmbedder, modelDir: string): TextEmbedder {
  return { name: e.name, dim: e.dim, config: { ...e.config, modelDir }, encode: (texts) => e.encode(texts) };
}
