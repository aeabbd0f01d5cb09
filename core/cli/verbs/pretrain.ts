// `vitrine pretrain`: the table (the runner is gpu-jobs/cli.ts).
import { defineVerb } from "../spec.ts";
import { BACKEND_FLAG, IMAGE_ENCODER_HELP, PRESET_CHOICES, VISION_FLAGS } from "./common.ts";

export const PRETRAIN = defineVerb({
  name: "pretrain",
  summary: "pre-train the query and item towers (stage 1 vision, then MLM, MPM, QIC, QIM, QIM2)",
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory a `vitrine import` completed in" },
    preset: { type: "enum", choices: PRESET_CHOICES, default: "cpu", help: "tiny (tests, seconds), cpu (the demo: minutes on 2 cores), base (12×768, a GPU)" },
    steps: { type: "int", min: 1, defaultText: "by preset", help: "training steps", group: "schedule (preset defaults)" },
    "batch-size": { type: "int", min: 1, defaultText: "by preset", help: "pairs per step", group: "schedule (preset defaults)" },
    lr: { type: "number", defaultText: "by preset", help: "learning rate", group: "schedule (preset defaults)" },
    seed: { type: "int", min: 0, defaultText: "1", help: "seed of initialisation, sampling and masks", group: "schedule (preset defaults)" },
    "checkpoint-every": { type: "int", min: 1, defaultText: "by preset", help: "steps between checkpoints", group: "schedule (preset defaults)" },
    fusion: { type: "enum", choices: ["text", "concat", "fusion"], defaultText: "fusion", help: "item tower variant", group: "model" },
    "query-tower": { type: "enum", choices: ["shared", "separate"], defaultText: "shared", help: "query tower: the title encoder, or its own with keyword enhancement", group: "model" },
    mpm: { type: "enum", choices: ["contrastive", "regression"], defaultText: "contrastive", help: "masked patch modelling loss", group: "model" },
    "image-encoder": { type: "string", value: "FILE.onnx", help: IMAGE_ENCODER_HELP.train, group: "model" },
    mbns: { type: "boolean", help: "switch on memory-bank negatives (seed 001; off by default: they lost to in-batch negatives here, QUALITY.md)", group: "model" },
    "no-mbns": { type: "boolean", help: "memory-bank negatives off (the default)", group: "model" },
    cdns: { type: "boolean", help: "switch on cross-device negatives (seed 001; needs 2 or more workers; off by default: no gain here, QUALITY.md)", group: "model" },
    "no-cdns": { type: "boolean", help: "cross-device negatives off (the default)", group: "model" },
    "stage1-fraction": {
      type: "number",
      min: 0,
      max: 1,
      defaultText: "0",
      help: "share of steps for stage 1 (vision adaptation, seed 003); 0: it lost on held-out pairs here (QUALITY.md); 0.2 is the two-stage ablation",
      group: "model",
    },
    ...VISION_FLAGS,
    workers: {
      type: "int",
      min: 1,
      defaultText: "the number of cores (1 on tfjs-node); on --resume, the checkpoint's",
      help: "data-parallel worker threads, each with its own TF.js backend and a shard of every batch; results are deterministic for a given number",
    },
    backend: BACKEND_FLAG,
    resume: { type: "boolean", help: "continue from the newest checkpoint in the run folder" },
    "run-dir": { type: "string", value: "DIR", defaultText: "<data>/runs/pretrain", help: "run folder: checkpoints, tokenizer.json, metrics.jsonl" },
    quiet: { type: "boolean", help: "no progress bar (log lines and the summary stay)" },
  },
  notes: "A killed run continues with --resume and ends with the same weights as an uninterrupted one.",
  examples: [
    "vitrine pretrain --data data/demo --preset cpu",
    "vitrine pretrain --data data/demo --image-encoder models/resnet18.onnx",
    "vitrine pretrain --data data/demo --preset tiny --steps 60 --backend wasm --quiet",
    "vitrine pretrain --data data/demo --resume",
    "vitrine pretrain --data data/demo --workers 1",
    "vitrine pretrain --data data/demo --stage1 classify --stage1-fraction 0.2",
    "vitrine pretrain --data data/demo --patch-grid 8 --cnn-channels 32,64",
  ],
});
