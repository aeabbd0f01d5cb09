// `vitrine finetune`: the table (the runner is gpu-jobs/cli.ts).
import { defineVerb } from "../spec.ts";
import { BACKEND_FLAG, IMAGE_ENCODER_HELP } from "./common.ts";

export const FINETUNE = defineVerb({
  name: "finetune",
  summary: "fine-tune: FC projection + item-ID embeddings, sampled softmax with logQ (seed 000)",
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory with a finished `vitrine pretrain` (<data>/runs/pretrain)" },
    steps: { type: "int", min: 1, defaultText: "300", help: "training steps" },
    "batch-size": { type: "int", min: 1, defaultText: "128", help: "pairs per step" },
    negatives: { type: "int", min: 1, defaultText: "512", help: "negatives sampled per step in proportion to click frequency" },
    lr: { type: "number", defaultText: "0.005", help: "learning rate" },
    seed: { type: "int", min: 0, defaultText: "1", help: "seed of sampling and initialisation" },
    "checkpoint-every": { type: "int", min: 1, defaultText: "100", help: "steps between checkpoints" },
    workers: {
      type: "int",
      min: 1,
      defaultText: "1; on --resume, the checkpoint's",
      help: "data-parallel worker threads, each with a shard of every batch (the same objective as one; pays off only with large batches)",
    },
    "pretrain-dir": { type: "string", value: "DIR", defaultText: "<data>/runs/pretrain", help: "the pre-training run to start from" },
    "run-dir": { type: "string", value: "DIR", defaultText: "<data>/runs/finetune", help: "this run's folder" },
    "image-encoder": { type: "string", value: "FILE.onnx", defaultText: "the one the run recorded", help: IMAGE_ENCODER_HELP.reuse },
    backend: BACKEND_FLAG,
    resume: { type: "boolean", help: "continue from the newest checkpoint in the run folder" },
  },
  notes: "The pre-trained towers stay frozen; prints held-out HitRate@10 before and after.",
  examples: ["vitrine finetune --data data/demo", "vitrine finetune --data data/demo --steps 1500 --pretrain-dir data/demo/runs/ablation-fusion-s1"],
});
