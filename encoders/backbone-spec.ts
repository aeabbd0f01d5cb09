// The small JSON a shop writes beside a bring-your-own image backbone (FILE.onnx → FILE.json): what
// the model takes (input side, layout, channel order, pixel scale, mean/std) and what it gives (a
// spatial feature map or a pooled vector). Parsed with zod; every problem names its field and the fix.
import { z } from "zod";
import { formatIssues, zodIssues } from "../core/index.ts";
import { BackboneError } from "./errors.ts";

/** Where the format is documented, for error messages. */
export const BACKBONE_DOCS = "gpu-jobs/README.md (Bring your own image backbone)";

/** An error callback: "FIELD is missing" when absent, else the message. */
const msg = (field: string, message: string) => (iss: { input?: unknown }) => (iss.input === undefined ? `${field} is missing; ${message.replace(`${field} must`, "it must")}` : message);

/** A strict object whose type and unknown-key errors name the field and list the fields it takes. */
function object<S extends z.ZodRawShape>(field: string, shape: S, what: string) {
  const fields = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown field${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => `"${k}"`).join(", ")} in ${field}; it takes ${fields}`
        : iss.input === undefined
          ? `${field} is missing: ${what}`
          : `${field} must be an object: ${what}`,
  });
}

const layout = (field: string) => z.enum(["NCHW", "NHWC"], { error: msg(field, `${field} must be "NCHW" (PyTorch exports) or "NHWC" (TensorFlow exports)`) });
const triple = (field: string, positive: boolean) =>
  z
    .array(
      z.number({ error: `${field} must hold numbers` }).refine((v) => Number.isFinite(v) && (!positive || v > 0), { error: `${field} values must be ${positive ? "> 0" : "finite"}` }),
      {
        error: `${field} must be a list of 3 numbers, one per channel in the order of input.channels`,
      },
    )
    .length(3, { error: `${field} must have 3 values, one per channel in the order of input.channels` });

/** The JSON beside the model, as written (defaults filled in by the parse). */
export const BackboneSpecSchema = object(
  "the file",
  {
    input: object(
      "input",
      {
        /** Input tensor name (default: the model's only input). */
        name: z.string({ error: "input.name must be a string" }).min(1).optional(),
        /** Side of the square input in pixels (images are letterboxed onto white at this size, as thumbnails are). */
        size: z
          .int({ error: msg("input.size", "input.size must be a whole number: the model's input side in pixels, e.g. 224") })
          .min(8, { error: "input.size must be ≥ 8" })
          .max(1024, { error: "input.size must be ≤ 1024" }),
        /** Axis order of the input tensor. */
        layout: layout("input.layout"),
        /** Channel order the model expects. */
        channels: z.enum(["RGB", "BGR"], { error: msg("input.channels", 'input.channels must be "RGB" or "BGR" (Caffe-style models)') }),
        /** Pixels (0–255) are divided by this first: 255 gives [0, 1], 1 keeps 0–255. */
        scale: z.number({ error: "input.scale must be a number (255: pixels in [0, 1]; 1: pixels in 0–255)" }).positive({ error: "input.scale must be > 0" }).default(255),
        /** Subtracted per channel after scaling (ImageNet: [0.485, 0.456, 0.406]). */
        mean: triple("input.mean", false).default([0, 0, 0]),
        /** Divided per channel after the mean (ImageNet: [0.229, 0.224, 0.225]). */
        std: triple("input.std", true).default([1, 1, 1]),
      },
      '{ "size": 224, "layout": "NCHW", "channels": "RGB", "mean": [...], "std": [...] }',
    ),
    output: object(
      "output",
      {
        /** Output tensor name (default: the model's first output). */
        name: z.string({ error: "output.name must be a string" }).min(1).optional(),
        /** featureMap: [1,C,H,W] (or NHWC) → up to grid×grid patch tokens; pooled: one vector per image. */
        kind: z.enum(["featureMap", "pooled"], { error: msg("output.kind", 'output.kind must be "featureMap" (a spatial map [1,C,H,W]) or "pooled" (one vector per image)') }),
        /** Axis order of a feature map (default NCHW); ignored for pooled outputs. */
        layout: layout("output.layout").default("NCHW"),
      },
      '{ "name": "features", "kind": "featureMap" | "pooled" }',
    ),
  },
  "one JSON object { input: {...}, output: {...} }",
);

/** A parsed backbone JSON with its defaults. */
export type BackboneSpec = z.output<typeof BackboneSpecSchema>;

/** What a run records about the backbone it was trained with (model config, checkpoint, model card). */
export interface BackboneRecord {
  /** Absolute path of the .onnx file at training time (embed and finetune open it from there by default). */
  file: string;
  /** sha256 (hex) of the .onnx bytes. */
  sha256: string;
  /** Features id: hash of the model bytes, the preprocessing and the pooling grid; keys the feature cache. */
  id: string;
  /** The JSON it was used with, defaults filled in. */
  spec: BackboneSpec;
  /** Feature maps are average-pooled to at most grid×grid tokens. */
  grid: number;
  /** Patch tokens per image the item tower sees (1 for pooled outputs). */
  tokens: number;
  /** Channels per token (C). */
  featureDim: number;
}

/** The JSON path beside a model: x.onnx → x.json. */
export function specPathOf(onnxFile: string): string {
  return onnxFile.replace(/\.onnx$/i, "") + ".json";
}

/** Parse the JSON text of a backbone spec; throws BackboneError BAD_BACKBONE naming the field and the fix. */
export function parseBackboneSpec(text: string, file: string): BackboneSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BackboneError("BAD_BACKBONE", `${file} is not valid JSON (${(e as Error).message}); see ${BACKBONE_DOCS} for the format`);
  }
  const r = BackboneSpecSchema.safeParse(raw);
  if (!r.success) throw new BackboneError("BAD_BACKBONE", `${file}: ${formatIssues(zodIssues(r.error))}; see ${BACKBONE_DOCS} for the format`);
  return r.data;
}

/** The spec as a canonical string (sorted keys), so equal specs hash equally. */
export function canonicalSpec(spec: BackboneSpec): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(spec));
}
