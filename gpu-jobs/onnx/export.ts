// `vitrine export`: a pre-training run's latest checkpoint → query.onnx, item.onnx, tokenizer.json
// and model.json in outDir. Everything is written to a sibling temp folder first and renamed into
// place only after the parity check passed, so a failed export leaves no partial model behind.
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import type { ModelConfig } from "../model/config.ts";
import { numPatches, patchInputDim } from "../model/config.ts";
import { createModel } from "../model/towers.ts";
import type { Model } from "../model/towers.ts";
import { selectBackend } from "../tf/backend.ts";
import { Tokenizer, type BackboneRecord } from "../../encoders/index.ts";
import type { BackendName } from "../tf/backend.ts";
import { loadLatestCheckpoint, restoreInto } from "../train/checkpoint.ts";
import { ExportError } from "./errors.ts";
import { loadFinetuneHead, QUERY_HEAD_WEIGHT, withQueryHead, writeItemHead, type FinetuneHead } from "./finetune-head.ts";
import { buildItemGraph } from "./export-item.ts";
import { buildQueryGraph } from "./export-query.ts";
import { IR_VERSION, OPSET } from "./graph-builder.ts";
import { checkParity } from "./parity.ts";
import type { ParityOptions, ParityResult } from "./parity.ts";
import { modelWeights } from "./weights.ts";

/** Options of exportModel. */
export interface ExportOptions {
  /** Pre-training run folder: tokenizer.json and checkpoints (`latest`). */
  runDir: string;
  /** Folder to write the model into (replaced as a whole when the export succeeds). */
  outDir: string;
  /** Force a TF.js backend for the reference side of the parity check (default: best available). */
  backend?: BackendName;
  /** Parity check settings (default 256 samples, tolerance 1e-4). */
  parity?: ParityOptions;
  /** Element type of the graphs' token inputs (default "int32"). */
  tokenType?: "int32" | "int64";
  /** A finished fine-tuning run whose head (seed 000's FC + item-ID embeddings) joins the model. */
  finetuneDir?: string;
  /** Progress lines (default: silent). */
  log?: (msg: string) => void;
}

/** The model card written as model.json. */
export interface ModelCard {
  /** Card format. */
  format: "vitrine-model-v1";
  /** ISO time the export finished. */
  createdAt: string;
  /** Library and format versions. */
  versions: { tfjs: string; tfjsBackend: string; onnxruntime: string; onnxOpset: number; onnxIrVersion: number };
  /** The graphs' inputs and outputs. */
  graphs: Record<"query" | "item", { file: string; inputs: Record<string, string>; outputs: Record<string, string> }>;
  /** Dimensions a consumer needs without parsing the graphs. */
  dims: { dim: number; hidden: number; vocabSize: number; padId: number; maxQueryLen: number; maxTitleLen: number; patches: number; patchSize: number; patchDim: number };
  /** The preset of the run, when its checkpoint recorded one. */
  preset: string | null;
  /** The model config the checkpoint was trained with. */
  modelConfig: ModelConfig;
  /** The frozen image backbone item.onnx's `patches` input takes features of (null: pixels, the patch CNN is inside). */
  backbone: BackboneRecord | null;
  /** The run's job config as its checkpoint recorded it (data, losses, steps), or null. */
  trainConfig: unknown;
  /** Source checkpoint. */
  checkpoint: { runDir: string; step: number };
  /** The parity check that passed. */
  parity: ParityResult;
  /** Export wall time in milliseconds (graphs + parity + files). */
  exportMs: number;
  /** The fine-tuned head, when one was exported: query.onnx ends in it, item-head.* hold the item half. */
  finetune?: { runDir: string; step: number; items: number };
  /** Held-out metrics written by the eval stage of a retrain (absent until then). */
  metrics?: unknown;
}

/** What exportModel returns. */
export interface ExportResult {
  /** Folder the files are in. */
  outDir: string;
  /** Absolute paths of query.onnx, item.onnx, tokenizer.json, model.json. */
  files: string[];
  /** The card as written. */
  card: ModelCard;
}

/** The query and item graphs of a live model, parity-checked against it. */
export async function exportGraphs(
  model: Model,
  opts: Pick<ExportOptions, "parity" | "tokenType"> & { head?: FinetuneHead } = {},
): Promise<{ query: Uint8Array; item: Uint8Array; parity: ParityResult }> {
  const weights = new Map(modelWeights(model));
  const tokenType = opts.tokenType ?? "int32";
  if (opts.head) weights.set(QUERY_HEAD_WEIGHT, { shape: [opts.head.dim, opts.head.dim], values: opts.head.wq });
  const query = buildQueryGraph(model.config, weights, { tokenType, ...(opts.head ? { queryHead: QUERY_HEAD_WEIGHT } : {}) });
  const item = buildItemGraph(model.config, weights, { tokenType });
  // With a head, parity compares against the tower followed by the same head in TF.js.
  const reference = opts.head ? withQueryHead(model, opts.head) : model;
  const parity = await checkParity(reference, { query, item }, { ...opts.parity, tokenType });
  return { query, item, parity };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Export a pre-training run's latest checkpoint to outDir (nothing is written when parity fails). */
export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const runDir = resolve(opts.runDir);
  const outDir = resolve(opts.outDir);
  const tokPath = join(runDir, "tokenizer.json");
  if (!(await exists(tokPath))) throw new ExportError("BAD_RUN_DIR", `${runDir} has no tokenizer.json; is it a pre-training run folder?`);
  type State = { modelConfig?: ModelConfig; config?: { preset?: string } };
  const ckpt = await loadLatestCheckpoint<State>(runDir).catch((e: unknown) => {
    throw new ExportError("BAD_RUN_DIR", `${runDir}: cannot read the latest checkpoint (${(e as Error).message})`, null, { cause: e });
  });
  if (!ckpt) throw new ExportError("BAD_RUN_DIR", `${runDir} has no complete checkpoint (no \`latest\`); train first`);
  const modelConfig = ckpt.state.modelConfig;
  if (!modelConfig) throw new ExportError("BAD_RUN_DIR", `${runDir}: checkpoint step ${ckpt.step} records no modelConfig`);
  // The tokenizer must be the one the model was trained with: same vocabulary size at least.
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(await readFile(tokPath, "utf8"));
  } catch (e) {
    throw new ExportError("BAD_RUN_DIR", `${tokPath} is not a readable tokenizer (${(e as Error).message})`, null, { cause: e });
  }
  if (tokenizer.vocabSize !== modelConfig.vocabSize) {
    throw new ExportError("BAD_RUN_DIR", `${tokPath} has ${tokenizer.vocabSize} pieces but the model's vocabSize is ${modelConfig.vocabSize}`);
  }
  const backend = await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log });
  const model = createModel({ ...modelConfig, dropout: 0 });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await restoreInto(tf, ckpt, model.variables, null);
    log(`export: ${modelConfig.fusion} / ${modelConfig.queryTower} query tower, checkpoint step ${ckpt.step}, TF.js ${backend.name}`);
    const head = opts.finetuneDir ? await loadFinetuneHead(resolve(opts.finetuneDir)) : undefined;
    if (head && head.dim !== modelConfig.dim)
      throw new ExportError("BAD_RUN_DIR", `${opts.finetuneDir}: head dim ${head.dim} differs from the model's ${modelConfig.dim}; fine-tune on top of this pre-training run`);
    if (head) log(`export: fine-tuned head from ${opts.finetuneDir} (step ${head.step}, ${head.itemIds.length} item embeddings)`);
    const { query, item, parity } = await exportGraphs(model, { ...opts, ...(head ? { head } : {}) });
    log(`export: parity over ${parity.samples} samples: query ${parity.query.maxAbsDiff.toExponential(2)}, item ${parity.item.maxAbsDiff.toExponential(2)} (limit ${parity.tolerance})`);
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, "query.onnx"), query);
    await writeFile(join(tmp, "item.onnx"), item);
    await copyFile(tokPath, join(tmp, "tokenizer.json"));
    if (head) await writeItemHead(tmp, head);
    const card = makeCard(modelConfig, ckpt.state.config ?? null, runDir, ckpt.step, parity, backend.name, opts.tokenType ?? "int32", performance.now() - t0);
    if (head) card.finetune = { runDir: resolve(opts.finetuneDir!), step: head.step, items: head.itemIds.length };
    await writeFile(join(tmp, "model.json"), `${JSON.stringify(card, null, 2)}\n`);
    await replaceDir(tmp, outDir);
    log(`export: wrote ${outDir} in ${(card.exportMs / 1000).toFixed(1)} s`);
    const files = ["query.onnx", "item.onnx", "tokenizer.json", "model.json", ...(head ? ["item-head.json", "item-head.bin"] : [])];
    return { outDir, files: files.map((f) => join(outDir, f)), card };
  } finally {
    model.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

// Swap tmp in for outDir: the old folder moves aside first so readers never see a half-written one.
async function replaceDir(tmp: string, outDir: string): Promise<void> {
  await mkdir(dirname(outDir), { recursive: true });
  const old = `${tmp}.old`;
  const had = await exists(outDir);
  if (had) await rename(outDir, old);
  await rename(tmp, outDir);
  if (had) await rm(old, { recursive: true, force: true });
}

function makeCard(cfg: ModelConfig, trainConfig: { preset?: string } | null, runDir: string, step: number, parity: ParityResult, backend: string, tokenType: string, exportMs: number): ModelCard {
  const P = numPatches(cfg);
  const patchDim = patchInputDim(cfg);
  const bb = cfg.backbone ?? null;
  return {
    format: "vitrine-model-v1",
    createdAt: new Date().toISOString(),
    versions: { tfjs: tf.version.tfjs, tfjsBackend: backend, onnxruntime: ort.env.versions.node ?? ort.env.versions.common, onnxOpset: OPSET, onnxIrVersion: IR_VERSION },
    graphs: {
      query: { file: "query.onnx", inputs: { tokens: `${tokenType} [batch,${cfg.maxQueryLen}]` }, outputs: { vector: `float32 [batch,${cfg.dim}]` } },
      item: {
        file: "item.onnx",
        inputs: {
          title_tokens: `${tokenType} [batch,${cfg.maxTitleLen}]`,
          patches: bb
            ? `float32 [batch,${P},${patchDim}] (features of the image backbone ${bb.file}, sha256 ${bb.sha256.slice(0, 12)}…, pooled to ${P} tokens; zeros for text-only items)`
            : `float32 [batch,${P},${patchDim}] (HWC per patch, values in [0,1])`,
          image_mask: "float32 [batch] (0 = text-only)",
        },
        outputs: { vector: `float32 [batch,${cfg.dim}]` },
      },
    },
    dims: { dim: cfg.dim, hidden: cfg.hidden, vocabSize: cfg.vocabSize, padId: cfg.padId, maxQueryLen: cfg.maxQueryLen, maxTitleLen: cfg.maxTitleLen, patches: P, patchSize: cfg.patchSize, patchDim },
    preset: trainConfig?.preset ?? null,
    modelConfig: cfg,
    backbone: bb,
    trainConfig,
    checkpoint: { runDir, step },
    parity,
    exportMs,
  };
}
