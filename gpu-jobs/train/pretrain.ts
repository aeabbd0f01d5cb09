// The pre-training job: data → tokenizer → model → steps (stage 1 then stage 2) with metrics,
// checkpoints every N steps, and exact resume from the newest complete checkpoint. The steps run
// in train/pretrain-loop.ts: on this thread with one worker, else data-parallel over worker
// threads (train/pretrain-worker.ts), each with its own TF.js backend and a shard of each batch.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { prepareBackbone } from "../backbone/index.ts";
import { loadTrainingData, type TrainingData } from "../data/index.ts";
import { TrainError } from "../errors.ts";
import { PRESETS, resolveConfig, type ModelConfig } from "../model/config.ts";
import { createModel, type Model } from "../model/towers.ts";
import { selectBackend, type BackendName } from "../tf/backend.ts";
import { Tokenizer } from "../../encoders/index.ts";
import { trainTokenizer } from "../tokenizer/index.ts";
import { loadLatestCheckpoint, restoreInto } from "./checkpoint.ts";
import { createCollectiveBuffers } from "./collective.ts";
import { type PretrainConfig, presetPatchGrid } from "./pretrain-config.ts";
import { LOSS_PARTS, trainedVariables, trainLoop, type JobState, type StepMetrics } from "./pretrain-loop.ts";
import type { PretrainWorkerInit } from "./pretrain-worker.ts";
import { learnsImageContrast } from "./image-contrast.ts";
import { categoryClasses, stage1Classifier } from "./stage1-classify.ts";
import { runWorkerGroup } from "./worker-group.ts";
import { chooseWorkers, defaultWorkers, shareTypedArrays } from "./workers.ts";
import { localDir } from "../../lancedb/index.ts";

export type { StepMetrics } from "./pretrain-loop.ts";

/** Options of a pre-training run. */
export interface PretrainOptions {
  /** Data directory a `vitrine import` completed in. */
  dataDir: string;
  /** Run folder for checkpoints, tokenizer and metrics (default `<dataDir>/runs/pretrain`). */
  runDir?: string;
  /** The resolved job config. */
  config: PretrainConfig;
  /** Continue from the newest checkpoint in runDir (its config wins). */
  resume?: boolean;
  /** Force a TF.js backend (default: best available). */
  backend?: BackendName;
  /** Called after every step. */
  onStep?: (m: StepMetrics) => void;
  /** Log lines (backend choice, resume point). */
  log?: (msg: string) => void;
  /** Already loaded data (tests and ablations reuse it). */
  data?: TrainingData;
  /** `--image-encoder FILE.onnx`: a frozen ONNX backbone (FILE.json beside it) whose features replace the patch CNN's pixels; recorded in the model config, so a resumed run must get the same one. */
  imageEncoder?: string;
}

/** Where a finished run left its model. */
export interface PretrainResult {
  runDir: string;
  steps: number;
  model: Model;
  modelConfig: ModelConfig;
  tokenizer: Tokenizer;
  data: TrainingData;
  backend: string;
  /** Workers it trained on. */
  workers: number;
  lastMetrics: StepMetrics | null;
}

/** Refuse a patch grid or CNN the import's thumbnails cannot feed, image contrast on a backbone, and stage-1 classification without categories, naming the flag. */
function imageSideCheck(cfg: PretrainConfig, data: TrainingData, grid: number, cnn: boolean): void {
  const size = data.items.thumbSize;
  if (cfg.fusion === "text") return;
  if (!cnn) {
    // A backbone's features replace the CNN: only the objective's needs remain.
  } else if (size % grid !== 0) {
    throw new TrainError("BAD_OPTION", `--patch-grid ${grid} must divide the thumbnail side ${size} (the import's --image-size): pick a grid that divides it, or re-import with another --image-size`);
  }
  const layers = (cfg.cnnChannels ?? PRESETS[cfg.preset].cnnChannels).length;
  const side = size / grid;
  if (cnn && side % 2 ** layers !== 0) {
    throw new TrainError(
      "BAD_OPTION",
      `a ${size}px thumbnail in a ${grid}×${grid} grid gives ${side}px patches, which a ${layers}-layer CNN (--cnn-channels) cannot halve ${layers} times: use fewer layers, a coarser --patch-grid or a larger --image-size at import`,
    );
  }
  if (!cnn && (learnsImageContrast(cfg, 1) || learnsImageContrast(cfg, 2))) {
    // Augmenting needs pixels: a backbone's cached features are one fixed view of each image.
    throw new TrainError(
      "BAD_OPTION",
      `${cfg.stage1 === "contrast" ? "--stage1 contrast" : "--image-contrast"} augments thumbnails, but this run trains on the frozen image encoder's cached features; drop --image-encoder, or ${cfg.stage1 === "contrast" ? "use --stage1 align" : "drop --image-contrast"}`,
    );
  }
  if (cfg.stage1 === "classify") {
    const classes = categoryClasses(data.items);
    if (classes.names.length < 2) {
      throw new TrainError(
        "BAD_OPTION",
        `--stage1 classify needs a catalog with categories: items with an image name ${classes.names.length} distinct categor${classes.names.length === 1 ? "y" : "ies"} (at least 2 needed); use --stage1 align`,
      );
    }
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Run (or resume) pre-training; the returned model stays alive (the caller disposes it). */
export async function runPretrain(opts: PretrainOptions): Promise<PretrainResult> {
  const log = opts.log ?? (() => undefined);
  const backend = await selectBackend({ ...(opts.backend ? { prefer: opts.backend } : {}), log });
  const runDir = opts.runDir ?? join(localDir(opts.dataDir), "runs", "pretrain");
  const ckpt = opts.resume ? await loadLatestCheckpoint<JobState>(runDir) : null;
  if (opts.resume && !ckpt) log(`no checkpoint in ${runDir}: starting from step 0`);
  if (!ckpt) await rm(runDir, { recursive: true, force: true });
  await mkdir(runDir, { recursive: true });
  const saved = ckpt?.state.config;
  // A checkpoint from before workers existed was written by one.
  const batchSize = (saved ?? opts.config).batchSize;
  const workers = chooseWorkers(opts.config.workers, saved ? (saved.workers ?? 1) : undefined, defaultWorkers(backend.name, batchSize), batchSize, log);
  let cfg: PretrainConfig = { ...(saved ?? opts.config), workers };
  const data = opts.data ?? (await loadTrainingData(opts.dataDir, { log }));
  if (data.pairs.item.length === 0) throw new TrainError("NO_TRAINING_DATA", "the click log has no training pairs; import clicks first");
  if (opts.imageEncoder && (ckpt?.state.modelConfig.fusion ?? cfg.fusion) === "text")
    throw new TrainError("BAD_OPTION", "--image-encoder needs an image side: use --fusion fusion or concat, not text");
  if (opts.imageEncoder && !ckpt) {
    // The preset's own grid is no choice of the caller's: a backbone's JSON declares the grid instead.
    const askedGrid = cfg.patchGrid !== undefined && cfg.patchGrid !== presetPatchGrid(cfg.preset);
    if (askedGrid || cfg.cnnChannels !== undefined || cfg.globalToken) {
      const flag = askedGrid ? "--patch-grid" : cfg.cnnChannels !== undefined ? "--cnn-channels" : "--global-token";
      throw new TrainError("BAD_OPTION", `--image-encoder replaces the patch CNN: drop ${flag} (the backbone's JSON declares its own grid)`);
    }
    const { patchGrid: _presetGrid, ...rest } = cfg;
    cfg = rest;
  }
  // The image side's shape: the run's patch grid over the import's thumbnails (checked before any work).
  const grid = cfg.patchGrid ?? data.items.grid;
  if (!ckpt) imageSideCheck(cfg, data, grid, !opts.imageEncoder);
  // A bring-your-own backbone: its features (cached per image) are the item tower's image input.
  const backbone = await prepareBackbone(opts.dataDir, data.items, {
    recorded: ckpt ? (ckpt.state.modelConfig.backbone ?? null) : undefined,
    given: opts.imageEncoder,
    grid: data.items.grid,
    what: `the run in ${runDir}`,
    log,
  });
  // The run's config names the backbone's features, so `eval --ablations` never reuses it as a patch-CNN run.
  if (backbone && !ckpt) cfg = { ...cfg, imageEncoder: backbone.record.id };
  if (backbone) log(`image encoder ${backbone.record.file}: ${backbone.record.tokens}×${backbone.record.featureDim} features per image (${backbone.cached} cached, ${backbone.computed} computed)`);

  let tokenizer: Tokenizer;
  const tokPath = join(runDir, "tokenizer.json");
  if (ckpt) tokenizer = Tokenizer.fromJSON(await readFile(tokPath, "utf8"));
  else {
    tokenizer = trainTokenizer([...data.items.titles, ...data.pairs.query], { vocabSize: cfg.vocabSize });
    await writeAtomic(tokPath, JSON.stringify(tokenizer.toJSON()));
  }
  const modelConfig =
    ckpt?.state.modelConfig ??
    resolveConfig(cfg.preset, {
      vocabSize: tokenizer.vocabSize,
      dim: cfg.dim,
      fusion: cfg.fusion,
      queryTower: cfg.queryTower,
      seed: cfg.seed,
      modalGate: cfg.fusion === "fusion",
      patchSize: data.items.thumbSize / grid,
      patchGrid: grid,
      ...(cfg.cnnChannels ? { cnnChannels: [...cfg.cnnChannels] } : {}),
      ...(cfg.globalToken ? { globalToken: true } : {}),
      ...(cfg.globalWeight !== undefined ? { globalWeight: cfg.globalWeight } : {}),
      ...(backbone ? { backbone: backbone.record } : {}),
    });
  const result = { runDir, steps: cfg.steps, modelConfig, tokenizer, data, backend: backend.name, workers };
  if (workers === 1) {
    const { model, last } = await trainLoop({ runDir, cfg, modelConfig, data, tokenizer, ckpt, group: null, log, ...(opts.onStep ? { onStep: opts.onStep } : {}) });
    return { ...result, model, lastMetrics: last };
  }
  const model = createModel(modelConfig);
  const temperature = tf.variable(tf.scalar(0.1), true);
  // The stage-1 head is trained (and averaged) with the rest; only the model comes back.
  const classifier = stage1Classifier(cfg, modelConfig, data.items);
  const variables = trainedVariables(model, temperature, classifier?.head);
  const buffers = createCollectiveBuffers({
    world: workers,
    gradSize: [...variables.values()].reduce((n, v) => n + v.size, 0),
    rows: cfg.batchSize,
    rowDim: modelConfig.dim,
    scalars: 1 + LOSS_PARTS.length,
    sharedAdam: true,
  });
  const shared = { ...data, items: shareTypedArrays(data.items) }; // thumbnails (and any features) shared, not copied
  const tokenizerJson = JSON.stringify(tokenizer.toJSON());
  try {
    const last = await runWorkerGroup<PretrainWorkerInit, StepMetrics | null>({
      entry: new URL("./pretrain-worker.ts", import.meta.url),
      buffers,
      init: (rank) => ({ rank, buffers, backend: backend.name, runDir, cfg, modelConfig, tokenizer: tokenizerJson, data: shared, ckpt }),
      onLog: log,
      ...(opts.onStep ? { onProgress: (m: unknown) => opts.onStep!(m as StepMetrics) } : {}),
    });
    // The run's last step always writes a checkpoint: the trained weights come back through it.
    const final = await loadLatestCheckpoint<JobState>(runDir);
    if (!final || final.step !== cfg.steps) throw new TrainError("BAD_CHECKPOINT", `the workers finished but ${runDir} holds no checkpoint of step ${cfg.steps}`);
    await restoreInto(tf, final, variables, null);
    return { ...result, model, lastMetrics: last };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    temperature.dispose();
    for (const v of classifier?.head.values() ?? []) v.dispose();
  }
}
