// The probe of an exported model folder (the retrain job's eval stage, for the model card): the
// published item vectors (the embeddings `vitrine embed` wrote for this model, or item.onnx when
// they are missing or from another model) and item.onnx fed all-[PAD] titles. A fine-tuned model's
// item head is applied to both; the masked vectors get no item-ID embedding (it is neither title
// nor image). Loads ONNX Runtime: import it lazily.
import { join, resolve } from "node:path";
import { loadOrt, openSession, readModelDir } from "../../encoders/index.ts";
import { readEmbedState, readEmbeddings } from "../../lancedb/index.ts";
import { prepareBackbone } from "../backbone/index.ts";
import type { TrainingItems } from "../data/index.ts";
import { itemFeeds } from "../embed/item-feeds.ts";
import { applyItemHead, readItemHead } from "../onnx/finetune-head.ts";
import { probeModel, type ModelProbe } from "./model-probe.ts";
import type { ProbeOptions } from "./probe.ts";

/** Where the model and its vectors are. */
export interface ExportedProbeOptions extends ProbeOptions {
  /** Data directory (its embeddings table). */
  dataDir: string;
  /** Exported model folder (item.onnx, tokenizer.json, model.json, item-head.* when fine-tuned). */
  modelDir: string;
  /** The catalog, as the eval loaded it. */
  items: TrainingItems;
  /** Items per item.onnx call (default 256). */
  batchSize?: number;
}

/** Both probes of an exported model. */
export async function probeExportedModel(opts: ExportedProbeOptions): Promise<ModelProbe> {
  const { card, tokenizer } = await readModelDir(opts.modelDir);
  const ort = await loadOrt();
  const { session } = await openSession(join(opts.modelDir, "item.onnx"));
  const head = await readItemHead(opts.modelDir);
  const items = opts.items;
  const n = items.ids.length;
  const dim = card.dims.dim;
  const batch = opts.batchSize ?? 256;
  // A model trained on a backbone's features is probed with them (cached by its training).
  await prepareBackbone(opts.dataDir, items, { recorded: card.backbone ?? null, grid: items.grid, what: `the model in ${opts.modelDir}` });
  const backbone = card.backbone?.id ?? null;
  const encode = async (maskTitle: boolean) => {
    const out = new Float32Array(n * dim);
    for (let from = 0; from < n; from += batch) {
      const rows = Int32Array.from({ length: Math.min(batch, n - from) }, (_, i) => from + i);
      const v = (await session.run(itemFeeds(ort, items, rows, tokenizer, card.dims, { maskTitle, backbone }))).vector!.data as Float32Array;
      // Masked: Wi without ID rows (an empty map: every item is one fine-tuning never saw).
      if (head)
        applyItemHead(
          maskTitle ? { ...head, rowOf: new Map() } : head,
          Array.from(rows, (r) => items.ids[r]!),
          v,
        );
      out.set(v, from * dim);
    }
    return out;
  };
  try {
    const published = (await embeddingsOf(opts.dataDir, opts.modelDir, card.createdAt, items.ids, dim)) ?? (await encode(false));
    const maskedItems = await encode(true);
    return probeModel(items, { items: published, dim, maskedItems }, opts);
  } finally {
    await session.release();
  }
}

/** The embeddings table's vectors in catalog order when they are complete and from this model; else null. */
async function embeddingsOf(dataDir: string, modelDir: string, createdAt: string, ids: readonly string[], dim: number): Promise<Float32Array | null> {
  const s = await readEmbedState(dataDir);
  if (!s || s.state !== "complete" || s.createdAt !== createdAt || s.items !== ids.length || s.modelDir !== resolve(modelDir)) return null;
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const out = new Float32Array(ids.length * dim);
  let seen = 0;
  for await (const e of readEmbeddings(dataDir)) {
    const r = rowOf.get(e.id);
    if (r === undefined || e.vector.length !== dim) return null;
    out.set(e.vector, r * dim);
    seen++;
  }
  return seen === ids.length ? out : null;
}
