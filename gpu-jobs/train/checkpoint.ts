// Checkpoints: every variable and the optimizer's slots as one little-endian float32 file plus
// a JSON manifest, written into a fresh folder and published by an atomic rename of `latest`,
// so a job killed mid-write resumes from the previous complete checkpoint.
//
// Format "vitrine-ckpt-v1" (read by `vitrine export`):
//   <runDir>/ckpt-<step>/manifest.json  { format, step, tensors: [{ name, shape, dtype, offset, length }],
//                                         optimizer: [{ name, shape, offset, length }], state: {...} }
//   <runDir>/ckpt-<step>/weights.bin    float32 values of `tensors` then `optimizer`, by offset
//   <runDir>/latest                     the folder name of the newest complete checkpoint
import { mkdir, readFile, rename, rm, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type * as tfType from "@tensorflow/tfjs";

/** A tensor entry of the manifest. */
export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset into weights.bin in float32 elements. */
  offset: number;
  /** Number of float32 elements. */
  length: number;
}

/** A checkpoint's manifest. */
export interface CheckpointManifest<S> {
  format: "vitrine-ckpt-v1";
  step: number;
  tensors: TensorEntry[];
  optimizer: TensorEntry[];
  /** Job state needed to continue exactly: config, sampler position, RNG state, tokenizer, ... */
  state: S;
}

/** A loaded checkpoint: values by name plus the job state. */
export interface LoadedCheckpoint<S> {
  step: number;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
  optimizer: { name: string; shape: number[]; values: Float32Array }[];
  state: S;
}

async function pack(entries: { name: string; tensor: tfType.Tensor }[], base: number): Promise<{ meta: TensorEntry[]; parts: Float32Array[]; end: number }> {
  const meta: TensorEntry[] = [];
  const parts: Float32Array[] = [];
  let offset = base;
  for (const { name, tensor } of entries) {
    const values = (await tensor.data()) as Float32Array;
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    meta.push({ name, shape: tensor.shape, offset, length: f.length });
    parts.push(f);
    offset += f.length;
  }
  return { meta, parts, end: offset };
}

/** Write checkpoint `step` into runDir and point `latest` at it; keeps the newest `keep` checkpoints. */
export async function saveCheckpoint<S>(
  runDir: string,
  step: number,
  variables: Map<string, tfType.Tensor>,
  optimizer: Pick<tfType.Optimizer, "getWeights"> | null,
  state: S,
  keep = 2,
): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const name = `ckpt-${String(step).padStart(8, "0")}`;
  const dir = join(runDir, name);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const vars = [...variables].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, v]) => ({ name: n, tensor: v }));
  const w = await pack(vars, 0);
  const optWeights = optimizer ? await optimizer.getWeights() : [];
  const o = await pack(
    optWeights.map((x) => ({ name: x.name, tensor: x.tensor })),
    w.end,
  );
  // tf.train.adam returns its own slot variables plus a fresh iteration-count tensor (FlatAdam: all fresh).
  for (const x of optWeights) if (!("trainable" in x.tensor)) x.tensor.dispose();
  const all = new Float32Array(o.end);
  let at = 0;
  for (const p of [...w.parts, ...o.parts]) {
    all.set(p, at);
    at += p.length;
  }
  const manifest: CheckpointManifest<S> = { format: "vitrine-ckpt-v1", step, tensors: w.meta, optimizer: o.meta, state };
  await writeFile(join(tmp, "weights.bin"), new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
  await writeFile(join(tmp, "manifest.json"), `${JSON.stringify(manifest)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  await writeFile(join(runDir, "latest.tmp"), name);
  await rename(join(runDir, "latest.tmp"), join(runDir, "latest"));
  // Prune older checkpoints only after `latest` moved on.
  const old = (await readdir(runDir))
    .filter((f) => /^ckpt-\d+$/.test(f))
    .sort()
    .slice(0, -keep);
  await Promise.all(old.map((f) => rm(join(runDir, f), { recursive: true, force: true })));
  return dir;
}

/** Read the newest complete checkpoint of runDir, or null when there is none. */
export async function loadLatestCheckpoint<S>(runDir: string): Promise<LoadedCheckpoint<S> | null> {
  let name: string;
  try {
    name = (await readFile(join(runDir, "latest"), "utf8")).trim();
  } catch {
    return null;
  }
  return loadCheckpoint<S>(join(runDir, name));
}

/** Read one checkpoint folder. */
export async function loadCheckpoint<S>(dir: string): Promise<LoadedCheckpoint<S>> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as CheckpointManifest<S>;
  if (manifest.format !== "vitrine-ckpt-v1") throw new Error(`${dir}: unknown checkpoint format ${String(manifest.format)}`);
  const buf = await readFile(join(dir, "weights.bin"));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const slice = (e: TensorEntry) => all.slice(e.offset, e.offset + e.length);
  return {
    step: manifest.step,
    tensors: new Map(manifest.tensors.map((e) => [e.name, { shape: e.shape, values: slice(e) }])),
    optimizer: manifest.optimizer.map((e) => ({ name: e.name, shape: e.shape, values: slice(e) })),
    state: manifest.state,
  };
}

/** Copy checkpoint values into live variables and the optimizer (names and shapes must match). */
export async function restoreInto(tf: typeof tfType, ckpt: LoadedCheckpoint<unknown>, variables: Map<string, tfType.Variable>, optimizer: tfType.Optimizer | null): Promise<void> {
  for (const [name, v] of variables) {
    const t = ckpt.tensors.get(name);
    if (!t) throw new Error(`checkpoint has no variable ${name}; was it written by a different model config?`);
    if (t.shape.join("x") !== v.shape.join("x")) throw new Error(`checkpoint variable ${name} has shape ${t.shape} but the model has ${v.shape}`);
    const value = tf.tensor(t.values, t.shape);
    v.assign(value);
    value.dispose();
  }
  if (optimizer && ckpt.optimizer.length) {
    const named = ckpt.optimizer.map((e) => ({ name: e.name, tensor: tf.tensor(e.values, e.shape) }));
    await optimizer.setWeights(named);
    // setWeights copies into its own variables; drop ours.
    for (const n of named) n.tensor.dispose();
  }
}
