// Which backbone a job uses, and its features attached to the catalog: the one `--image-encoder`
// names for a new run; otherwise the one the run or model recorded (model config, checkpoint,
// model card), found at its recorded path. A given backbone that is not the recorded one — another
// file, the same file with another JSON, or any backbone for a run trained without one — is refused.
import { existsSync } from "node:fs";
import { BackboneError, describeBackbone, type BackboneDescription, type BackboneRecord } from "../../encoders/index.ts";
import type { TrainingItems } from "../data/index.ts";
import { attachBackboneFeatures, type AttachOptions, type AttachResult } from "./attach-features.ts";

/** What decides the backbone. */
export interface PrepareBackboneOptions extends AttachOptions {
  /** What the run or model recorded: a record, null (trained without one), or undefined (a new run: nothing recorded yet). */
  recorded: BackboneRecord | null | undefined;
  /** `--image-encoder FILE.onnx`, when given. */
  given?: string | undefined;
  /** Pooling grid of a new run's backbone (the import's patch grid). */
  grid: number;
  /** What was trained, for messages ("the run in DIR", "the model in DIR"). */
  what: string;
}

const short = (r: { sha256: string; id: string }) => `sha256 ${r.sha256.slice(0, 12)}…, features id ${r.id}`;

/** The backbone description to use, or null for the patch CNN; throws BackboneError BACKBONE_MISMATCH / BACKBONE_MISSING. */
export async function resolveBackbone(o: Pick<PrepareBackboneOptions, "recorded" | "given" | "grid" | "what">): Promise<BackboneDescription | null> {
  const { recorded, given } = o;
  if (recorded === undefined) return given ? describeBackbone(given, o.grid) : null;
  if (recorded === null) {
    if (!given) return null;
    throw new BackboneError("BACKBONE_MISMATCH", `${o.what} was trained without an image encoder (the patch CNN on thumbnails): drop --image-encoder, or train a new run with it`);
  }
  if (given) {
    const d = await describeBackbone(given, recorded.grid);
    if (d.id !== recorded.id) {
      const why = d.sha256 === recorded.sha256 ? "the same model, but its JSON (preprocessing or output) differs" : `another model (${short(d)})`;
      throw new BackboneError(
        "BACKBONE_MISMATCH",
        `${o.what} was trained with image encoder ${recorded.file} (${short(recorded)}); --image-encoder ${d.file} is ${why}. Pass the encoder it was trained with, or train again with this one`,
      );
    }
    return d;
  }
  // The recorded file: checked when it is there; when it is gone, cached features may still do
  // (attaching fails with BACKBONE_MISSING only if an image needs the model).
  if (!existsSync(recorded.file)) return { file: recorded.file, sha256: recorded.sha256, id: recorded.id, spec: recorded.spec, grid: recorded.grid };
  const d = await describeBackbone(recorded.file, recorded.grid);
  if (d.id !== recorded.id) {
    throw new BackboneError(
      "BACKBONE_MISMATCH",
      `${o.what} was trained with image encoder ${recorded.file} (${short(recorded)}), but that file or its JSON changed since (${short(d)}); put the original back or pass it with --image-encoder`,
    );
  }
  return d;
}

/** Resolve the backbone and attach its features to `items`; null (nothing attached) for the patch CNN. */
export async function prepareBackbone(dataDir: string, items: TrainingItems, o: PrepareBackboneOptions): Promise<AttachResult | null> {
  const desc = await resolveBackbone(o);
  if (!desc) return null;
  try {
    return await attachBackboneFeatures(dataDir, items, desc, o);
  } catch (e) {
    if (!existsSync(desc.file) && !(e instanceof BackboneError && e.code !== "BAD_BACKBONE")) {
      throw new BackboneError(
        "BACKBONE_MISSING",
        `${o.what} was trained with image encoder ${desc.file} (${short(desc)}), which is not there, and some images have no cached features; pass that model with --image-encoder PATH`,
        { cause: e },
      );
    }
    throw e;
  }
}
