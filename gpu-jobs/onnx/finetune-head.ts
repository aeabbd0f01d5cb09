// The fine-tuned head (seed 000's FC projection + item-ID embeddings, gpu-jobs/train/finetune.ts)
// carried into serving. Query side: l2(q·Wq) appended to query.onnx, so the serving encoder needs
// nothing new. Item side: l2(i·Wi + e[id]) needs the item's id, which a graph input cannot map to
// a row, so the export writes the head beside the graphs (item-head.json + item-head.bin) and
// `vitrine embed` applies it after item.onnx; items the fine-tuning never saw get e = 0.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Model } from "../model/towers.ts";
import { loadLatestCheckpoint } from "../train/checkpoint.ts";
import { ExportError } from "./errors.ts";

/** Name of the query projection in the weight map the query graph is built from. */
export const QUERY_HEAD_WEIGHT = "ft.wq";

/** A fine-tuning run's head. */
export interface FinetuneHead {
  /** Vector dimension. */
  dim: number;
  /** Checkpoint step it came from. */
  step: number;
  /** Query projection, dim × dim row-major (x·W). */
  wq: Float32Array;
  /** Item projection, dim × dim row-major. */
  wi: Float32Array;
  /** Item ids of the ID-embedding rows. */
  itemIds: string[];
  /** ID embeddings, itemIds.length × dim. */
  idEmb: Float32Array;
}

/** The item half written beside the graphs. */
export interface ItemHead {
  dim: number;
  wi: Float32Array;
  rowOf: Map<string, number>;
  idEmb: Float32Array;
}

/** Read the latest checkpoint of a finished fine-tuning run (its item-ids.json names the rows). */
export async function loadFinetuneHead(finetuneDir: string): Promise<FinetuneHead> {
  const ck = await loadLatestCheckpoint<{ steps: number }>(finetuneDir);
  if (!ck) throw new ExportError("BAD_RUN_DIR", `${finetuneDir} has no fine-tuning checkpoint; run \`vitrine finetune\` first`);
  const get = (name: string) => {
    const t = ck.tensors.get(name);
    if (!t) throw new ExportError("BAD_RUN_DIR", `${finetuneDir}: checkpoint step ${ck.step} has no ${name}; is it a fine-tuning run?`);
    return t;
  };
  const wq = get("ft/wq");
  const ids = JSON.parse(
    await readFile(join(finetuneDir, "item-ids.json"), "utf8").catch(() => {
      throw new ExportError("BAD_RUN_DIR", `${finetuneDir} has no item-ids.json (written by fine-tuning since the jobs issue); re-run \`vitrine finetune\``);
    }),
  ) as string[];
  const idEmb = get("ft/item_id");
  if (idEmb.shape[0] !== ids.length) throw new ExportError("BAD_RUN_DIR", `${finetuneDir}: ${ids.length} item ids but ${idEmb.shape[0]} ID-embedding rows`);
  return { dim: wq.shape[0]!, step: ck.step, wq: wq.values, wi: get("ft/wi").values, itemIds: ids, idEmb: idEmb.values };
}

/** The model with its query tower followed by l2(q·Wq): the reference the parity check compares (Wq, d × d, lives as long as the process). */
export function withQueryHead(model: Model, head: FinetuneHead): Model {
  const w = tf.tensor2d(head.wq, [head.dim, head.dim]);
  const project = (q: tf.Tensor2D) => {
    const y = tf.matMul(q, w);
    return tf.div(y, tf.add(tf.norm(y, 2, 1, true), 1e-12)) as tf.Tensor2D;
  };
  return Object.assign(Object.create(model) as Model, {
    encodeQuery: (tokens: tf.Tensor2D, opts?: { training?: boolean }) => tf.tidy(() => project(model.encodeQuery(tokens, opts))),
  });
}

/** Write the item half of the head into a model folder. */
export async function writeItemHead(dir: string, head: FinetuneHead): Promise<void> {
  const bin = new Float32Array(head.wi.length + head.idEmb.length);
  bin.set(head.wi, 0);
  bin.set(head.idEmb, head.wi.length);
  await writeFile(join(dir, "item-head.bin"), new Uint8Array(bin.buffer));
  await writeFile(join(dir, "item-head.json"), JSON.stringify({ format: "vitrine-item-head-v1", dim: head.dim, step: head.step, itemIds: head.itemIds }));
}

/** The item half of a model folder's head, or null when the model was not fine-tuned. */
export async function readItemHead(modelDir: string): Promise<ItemHead | null> {
  let meta: { dim: number; itemIds: string[] };
  try {
    meta = JSON.parse(await readFile(join(modelDir, "item-head.json"), "utf8")) as typeof meta;
  } catch {
    return null;
  }
  const buf = await readFile(join(modelDir, "item-head.bin"));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const d = meta.dim;
  if (all.length !== d * d + meta.itemIds.length * d) throw new ExportError("BAD_RUN_DIR", `${modelDir}/item-head.bin has ${all.length} values; expected ${d * d + meta.itemIds.length * d}`);
  return { dim: d, wi: all.subarray(0, d * d), idEmb: all.subarray(d * d), rowOf: new Map(meta.itemIds.map((id, i) => [id, i])) };
}

/** Apply l2(v·Wi + e[id]) to a batch of item vectors (row-major, in place). */
export function applyItemHead(head: ItemHead, ids: readonly string[], vectors: Float32Array): Float32Array {
  const d = head.dim;
  const y = new Float64Array(d);
  for (let r = 0; r < ids.length; r++) {
    const v = vectors.subarray(r * d, (r + 1) * d);
    y.fill(0);
    for (let i = 0; i < d; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) y[j]! += vi * head.wi[row + j]!;
    }
    const e = head.rowOf.get(ids[r]!);
    if (e !== undefined) for (let j = 0; j < d; j++) y[j]! += head.idEmb[e * d + j]!;
    let norm = 0;
    for (let j = 0; j < d; j++) norm += y[j]! * y[j]!;
    const inv = 1 / (Math.sqrt(norm) + 1e-12);
    for (let j = 0; j < d; j++) v[j] = y[j]! * inv;
  }
  return vectors;
}
