// gpu-jobs as a library: the training code's public surface for benchmarks and tests. Nothing
// else in the project imports it: bin reaches gpu-jobs only through its verb runners (cli.ts,
// eval/eval-command.ts, jobs/run-job.ts), loaded lazily when a verb runs, and api never imports
// gpu-jobs (jobs run as processes). So one entry, not one per subfolder: importing it loads TF.js
// (@tensorflow/tfjs, every module here computes with it) and LanceDB, which none of its importers
// needs to avoid. Inside gpu-jobs, files import each other directly, never this file.
//
// Exports:
//   TrainError, TrainErrorCode                 training's errors (ExportError: the ONNX export's)
//   selectBackend, BACKEND_NAMES,              the TF.js backend (tfjs-node-gpu, tfjs-node, wasm, cpu)
//     BackendName, SelectedBackend
//   PRESETS, resolveConfig, ModelConfig,       model presets and the two towers
//     PresetName, createModel, Model
//   loadTrainingData, patchesOf,               training data from an imported data directory
//     TrainingData
//   trainTokenizer                             the WordPiece vocabulary from titles + queries
//   resolvePretrainConfig, PretrainConfig,     one pre-training step's pieces: config, batch, loss
//     buildBatch, toTensors, pretrainLoss,
//     FlatAdam, packGradients                    and its optimizer (Adam over the flat parameter vector)
//   runPretrain, StepMetrics, qimEvalLoss      a whole pre-training run (on 1..N workers), its per-step report; a fixed-set QIM loss
//   loadLatestCheckpoint                       a run's latest checkpoint
//   exportGraphs, ExportError                  the towers as ONNX graphs
//   loadEvalContext, EvalContext,              offline evaluation: the test queries of an import,
//     candidateIndex, rankQueries                an index over model vectors, ranked queries
//   runAblations, ABLATION_ROWS                `vitrine eval --ablations`: the variants and the run
//   linearProbe                                the probe: item vectors (or any features) → category
//   attachBackboneFeatures, featureCacheDir    an image backbone's features per catalog image, cached
export { TrainError, type TrainErrorCode } from "./errors.ts";
export { selectBackend, BACKEND_NAMES, type BackendName, type SelectedBackend } from "./tf/backend.ts";
export { PRESETS, resolveConfig, type ModelConfig, type PresetName } from "./model/config.ts";
export { createModel, type Model } from "./model/towers.ts";
export { loadTrainingData, patchesOf, type TrainingData } from "./data/index.ts";
export { trainTokenizer } from "./tokenizer/index.ts";
export { resolvePretrainConfig, type PretrainConfig, type PretrainOverrides } from "./train/pretrain-config.ts";
export { buildBatch, toTensors } from "./train/batch.ts";
export { pretrainLoss } from "./train/pretrain-loss.ts";
export { FlatAdam } from "./train/flat-adam.ts";
export { packGradients } from "./train/collective.ts";
export { runPretrain, type StepMetrics } from "./train/pretrain.ts";
export { qimEvalLoss } from "./train/qim-eval.ts";
export { loadLatestCheckpoint } from "./train/checkpoint.ts";
export { exportGraphs, ExportError } from "./onnx/index.ts";
export { loadEvalContext, candidateIndex, rankQueries, type EvalContext } from "./eval/eval-context.ts";
export { runAblations } from "./eval/ablations-command.ts";
export { ABLATION_ROWS } from "./eval/ablation-variants.ts";
export { linearProbe } from "./eval/probe.ts";
export { attachBackboneFeatures, featureCacheDir } from "./backbone/index.ts";
