// `vitrine retrain`: the table (the runner is api/jobs/retrain-command.ts).
import { DEFAULT_GATE_METRICS, DEFAULT_GATE_MIN_PAIRS, GATE_METRICS } from "../../jobs/constants.ts";
import { defineVerb } from "../spec.ts";
import { BACKEND_FLAG, IMAGE_ENCODER_HELP, PRESET_CHOICES, VISION_FLAGS } from "./common.ts";

const GATE = "eval gate";

export const RETRAIN = defineVerb({
  name: "retrain",
  summary: "pretrain → finetune → export → embed → eval → publish, gated on the active release",
  usage: ["--data DIR [--preset P] [options]", "--data DIR --resume JOB_ID"],
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory a `vitrine import` completed in (and the store that is served)" },
    preset: { type: "enum", choices: PRESET_CHOICES, defaultText: "cpu", help: "model preset" },
    steps: { type: "int", min: 1, defaultText: "by preset", help: "pre-training steps" },
    fusion: { type: "enum", choices: ["text", "concat", "fusion"], defaultText: "fusion", help: "item tower variant of pre-training" },
    seed: { type: "int", min: 0, max: 2 ** 31 - 1, defaultText: "1", help: "pre-training seed" },
    "image-encoder": { type: "string", value: "FILE.onnx", help: IMAGE_ENCODER_HELP.train },
    "stage1-fraction": { type: "number", min: 0, max: 1, defaultText: "0", help: "share of pre-training steps in stage 1 (vision adaptation; see --stage1)", group: "model" },
    ...VISION_FLAGS,
    workers: {
      type: "int",
      min: 1,
      max: 1024,
      defaultText: "the number of cores (1 on tfjs-node)",
      help: "pre-training's data-parallel worker threads (job config pretrain.workers; finetune.workers for fine-tuning)",
    },
    "finetune-steps": { type: "int", min: 0, defaultText: "by preset: tiny 20, cpu 0, base 2000", help: "fine-tuning steps (0 skips it; on cpu it lowered unseen NDCG@10, QUALITY.md)" },
    backend: BACKEND_FLAG,
    "gate-metric": {
      type: "enum",
      choices: GATE_METRICS,
      value: "M",
      multiple: true,
      defaultText: DEFAULT_GATE_METRICS.join(" and "),
      help: "metric compared with the active release on unseen held-out pairs; each must hold",
      group: GATE,
    },
    tolerance: { type: "number", min: 0, max: 1, defaultText: "0.01", help: "largest drop below the active release allowed per metric, absolute", group: GATE },
    "min-pairs": { type: "int", min: 1, defaultText: String(DEFAULT_GATE_MIN_PAIRS), help: "fewest unseen held-out pairs the gate decides on", group: GATE },
    force: { type: "boolean", help: "publish even when the gate refuses (the decision is still recorded)", group: GATE },
    resume: { type: "string", value: "JOB_ID", help: "continue a failed, cancelled or interrupted retrain from its checkpoints" },
    logs: { type: "boolean", help: "print the job's log lines under the progress bars" },
  },
  notes: `Runs as a job (records, log and runs in <data>/jobs/<id>) through the same manager as the API's
jobs.trigger. The candidate is published inactive, and it and the active release are ranked as
they serve on the test half of the held-out clicks; it is activated only if, on the (query, item)
pairs training never saw, no gate metric falls below the active release's by more than the
tolerance. A refused candidate stays as an inactive release.`,
  examples: [
    "vitrine retrain --data data/demo --preset cpu",
    "vitrine retrain --data data/demo --gate-metric ndcg@10 --gate-metric recall@100 --tolerance 0.02",
    "vitrine retrain --data data/demo --resume j20261122-071500-ab12",
  ],
});
