// A bring-your-own image backbone (DESIGN §4, seed 001's ResNet): a frozen ONNX image model and the
// JSON beside it, run with ONNX Runtime over already-resized RGB images to give patch tokens (a
// feature map average-pooled to at most grid×grid cells) or one pooled vector per image. Describing
// a backbone (JSON + hashes) loads no ONNX Runtime; the session opens on the first images, so a run
// whose features are all cached never starts one.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type * as Ort from "onnxruntime-node";
import { canonicalSpec, parseBackboneSpec, specPathOf, BACKBONE_DOCS, type BackboneSpec } from "./backbone-spec.ts";
import { pixelsToInput, poolFeatureMap, pooledGrid } from "./backbone-preprocess.ts";
import { BackboneError } from "./errors.ts";
import { loadOrt, openSession } from "./onnx-model.ts";

/** Images per session run when the model's batch axis is dynamic. */
const DYNAMIC_BATCH = 16;

/** A backbone on disk: its files, hashes and parsed JSON; no session yet. */
export interface BackboneDescription {
  /** Absolute path of the .onnx file. */
  file: string;
  /** sha256 (hex) of the .onnx bytes. */
  sha256: string;
  /** Features id: hash of the model bytes, the JSON (defaults filled) and the pooling grid. */
  id: string;
  /** The parsed JSON. */
  spec: BackboneSpec;
  /** Feature maps pool to at most grid×grid tokens. */
  grid: number;
}

/** Features of a batch of images. */
export interface BackboneFeatures {
  /** Tokens per image (1 for pooled outputs). */
  tokens: number;
  /** Channels per token. */
  dim: number;
  /** Per image: tokens×dim values, row-major. */
  values: Float32Array[];
}

/** An open backbone session. */
export interface ImageBackbone extends BackboneDescription {
  /** Execution provider that started (cuda or cpu). */
  readonly provider: string;
  /** Images per session run (1 when the model's batch axis is fixed at 1). */
  readonly batch: number;
  /** Session runs so far (the feature cache's tests count them). */
  readonly runs: number;
  /** Features of size×size×3 RGB images (sharp-resized, row-major). */
  features(images: readonly Uint8Array[]): Promise<BackboneFeatures>;
  /** Release the session. */
  release(): Promise<void>;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Read FILE.onnx's JSON and hash both (no ONNX Runtime); throws BackboneError naming the file or field. */
export async function describeBackbone(onnxFile: string, grid: number): Promise<BackboneDescription> {
  const file = resolve(onnxFile);
  if (!/\.onnx$/i.test(file)) throw new BackboneError("BAD_BACKBONE", `--image-encoder must name an .onnx file, got ${file}`);
  if (!Number.isInteger(grid) || grid < 1) throw new RangeError(`describeBackbone: grid must be a positive integer, got ${grid}`);
  const isFile = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new BackboneError("BACKBONE_MISSING", `image encoder ${file} is not there; export one as ${BACKBONE_DOCS} shows`);
  const specFile = specPathOf(file);
  const text = await readFile(specFile, "utf8").catch(() => {
    throw new BackboneError("BACKBONE_MISSING", `${specFile} is missing: write the backbone's input size, layout, channel order, mean/std and output kind beside the model (see ${BACKBONE_DOCS})`);
  });
  const spec = parseBackboneSpec(text, specFile);
  const sha256 = await sha256File(file);
  const id = createHash("sha256")
    .update(`vitrine-backbone-v1\n${sha256}\n${canonicalSpec(spec)}\ngrid=${grid}`)
    .digest("hex")
    .slice(0, 16);
  return { file, sha256, id, spec, grid };
}

type TensorMeta = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

function metaOf(list: readonly TensorMeta[] | undefined, name: string): TensorMeta | undefined {
  return list?.find((m) => m.name === name);
}

const fixed = (d: number | string | undefined): number | null => (typeof d === "number" && d > 0 ? d : null);
const shapeText = (s: ReadonlyArray<number | string>) => `[${s.map(String).join(",")}]`;

/** Check the model's declared input against the JSON; returns the input name and images per run. */
function checkInput(session: Ort.InferenceSession, d: BackboneDescription): { name: string; batch: number } {
  const names = session.inputNames;
  const want = d.spec.input.name;
  if (want !== undefined && !names.includes(want)) throw new BackboneError("BAD_BACKBONE", `input.name "${want}" is not an input of ${d.file}; its inputs are: ${names.join(", ")}`);
  if (want === undefined && names.length !== 1) throw new BackboneError("BAD_BACKBONE", `${d.file} has inputs ${names.join(", ")}: set input.name in ${specPathOf(d.file)} to the image input`);
  const name = want ?? names[0]!;
  const meta = metaOf((session as unknown as { inputMetadata?: TensorMeta[] }).inputMetadata, name);
  let batch = DYNAMIC_BATCH;
  if (meta?.isTensor && meta.type && meta.type !== "float32") {
    throw new BackboneError("BAD_BACKBONE", `${d.file}'s input "${name}" takes ${meta.type}; Vitrine feeds float32 images: export the model with a float32 input`);
  }
  const shape = meta?.isTensor ? meta.shape : undefined;
  if (shape && shape.length > 0) {
    if (shape.length !== 4) throw new BackboneError("BAD_BACKBONE", `${d.file}'s input "${name}" has shape ${shapeText(shape)}; an image backbone takes [batch,3,H,W] (NCHW) or [batch,H,W,3] (NHWC)`);
    const { size, layout } = d.spec.input;
    const [b, a1, a2, a3] = shape;
    const [ch, h, w] = layout === "NCHW" ? [a1, a2, a3] : [a3, a1, a2];
    if (fixed(ch) !== null && ch !== 3) {
      const other = layout === "NCHW" ? fixed(a3) === 3 : fixed(a1) === 3;
      throw new BackboneError(
        "BAD_BACKBONE",
        `input.layout is "${layout}" but ${d.file}'s input "${name}" is ${shapeText(shape)}${other ? `: set input.layout to "${layout === "NCHW" ? "NHWC" : "NCHW"}"` : "; an image backbone takes 3 channels"}`,
      );
    }
    for (const [axis, v] of [
      ["height", h],
      ["width", w],
    ] as const) {
      const f = fixed(v);
      if (f !== null && f !== size) throw new BackboneError("BAD_BACKBONE", `input.size is ${size} but ${d.file}'s input "${name}" is ${shapeText(shape)} (${axis} ${f}): set input.size to ${f}`);
    }
    const fb = fixed(b);
    if (fb !== null && fb !== 1) throw new BackboneError("BAD_BACKBONE", `${d.file}'s input "${name}" has a fixed batch of ${fb}; export it with batch 1 or a dynamic batch axis`);
    if (fb === 1) batch = 1;
  }
  return { name, batch };
}

function checkOutputName(session: Ort.InferenceSession, d: BackboneDescription): string {
  const names = session.outputNames;
  const want = d.spec.output.name;
  if (want !== undefined && !names.includes(want)) throw new BackboneError("BAD_BACKBONE", `output.name "${want}" is not an output of ${d.file}; its outputs are: ${names.join(", ")}`);
  return want ?? names[0]!;
}

/** Open the backbone's ONNX session (CUDA when present) and check it against its JSON. */
export async function openImageBackbone(d: BackboneDescription): Promise<ImageBackbone> {
  const ort = await loadOrt();
  const { session, provider } = await openSession(d.file).catch((e: unknown) => {
    throw new BackboneError("BAD_BACKBONE", `ONNX Runtime cannot load ${d.file}: ${(e as Error).message}`, { cause: e });
  });
  let input: { name: string; batch: number };
  let output: string;
  try {
    input = checkInput(session, d);
    output = checkOutputName(session, d);
  } catch (e) {
    await session.release();
    throw e;
  }
  const { size } = d.spec.input;
  const per = size * size * 3;
  let runs = 0;

  /** One run of up to `batch` images → per-image token arrays. */
  async function runBatch(images: readonly Uint8Array[]): Promise<BackboneFeatures> {
    const b = images.length;
    const data = new Float32Array(b * per);
    images.forEach((img, i) => pixelsToInput(img, d.spec, data, i * per));
    const dims = d.spec.input.layout === "NCHW" ? [b, 3, size, size] : [b, size, size, 3];
    runs++;
    const result = await session.run({ [input.name]: new ort.Tensor("float32", data, dims) }, [output]).catch((e: unknown) => {
      throw new BackboneError("BAD_BACKBONE", `${d.file} failed on a ${shapeText(dims)} input: ${(e as Error).message}; check input.size and input.layout in ${specPathOf(d.file)}`, { cause: e });
    });
    const t = result[output]!;
    const shape = t.dims;
    if (t.type !== "float32" || shape[0] !== b)
      throw new BackboneError("BAD_BACKBONE", `${d.file}'s output "${output}" is ${t.type} ${shapeText(shape)}; expected float32 with the batch (${b}) first`);
    const flat = t.data as Float32Array;
    const each = flat.length / b;
    const values: Float32Array[] = [];
    if (d.spec.output.kind === "pooled") {
      // [b,C], or [b,C,1,1] (a ResNet's avgpool before flatten): everything after the batch is the vector.
      for (let i = 0; i < b; i++) values.push(flat.slice(i * each, (i + 1) * each));
      return { tokens: 1, dim: each, values };
    }
    if (shape.length !== 4)
      throw new BackboneError(
        "BAD_BACKBONE",
        `output.kind is "featureMap" but ${d.file}'s output "${output}" is ${shapeText(shape)}: set output.kind to "pooled", or output.name to a [batch,C,H,W] output`,
      );
    const nchw = d.spec.output.layout === "NCHW";
    const [c, h, w] = nchw ? [shape[1]!, shape[2]!, shape[3]!] : [shape[3]!, shape[1]!, shape[2]!];
    const { gh, gw } = pooledGrid(h, w, d.grid);
    for (let i = 0; i < b; i++) values.push(poolFeatureMap(flat.subarray(i * each, (i + 1) * each), { c, h, w }, d.spec.output.layout, d.grid));
    return { tokens: gh * gw, dim: c, values };
  }

  return {
    ...d,
    provider,
    batch: input.batch,
    get runs() {
      return runs;
    },
    async features(images) {
      const values: Float32Array[] = [];
      let tokens = 0;
      let dim = 0;
      for (let o = 0; o < images.length; o += input.batch) {
        const r = await runBatch(images.slice(o, o + input.batch));
        tokens = r.tokens;
        dim = r.dim;
        values.push(...r.values);
      }
      return { tokens, dim, values };
    },
    release: () => session.release(),
  };
}
