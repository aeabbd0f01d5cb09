// `vitrine export`: the table (the runner is gpu-jobs/cli.ts).
import { defineVerb } from "../spec.ts";
import { BACKEND_FLAG } from "./common.ts";

export const EXPORT = defineVerb({
  name: "export",
  summary: "export the query and item towers to ONNX; counts only if TF.js and ONNX Runtime agree to 1e-4",
  usage: ["--data DIR [--run-dir DIR] [--finetune-dir DIR] [--out DIR] [--samples N]", "--run-dir DIR --out DIR [options]"],
  flags: {
    data: { type: "string", value: "DIR", help: "data directory with a pre-training run (<data>/runs/pretrain); writes <data>/model" },
    "run-dir": { type: "string", value: "DIR", defaultText: "<data>/runs/pretrain", help: "the training run to export" },
    out: { type: "string", value: "DIR", defaultText: "<data>/model", help: "where query.onnx, item.onnx, tokenizer.json and model.json go" },
    "finetune-dir": {
      type: "string",
      value: "DIR",
      help: "a finished `vitrine finetune` run (e.g. <data>/runs/finetune): its head joins the model (query.onnx ends in the query projection; item-head.* for `vitrine embed`)",
    },
    samples: { type: "int", min: 1, defaultText: "256", help: "inputs in the parity check" },
    backend: BACKEND_FLAG,
  },
  notes: "The folder is replaced only after the parity check passes; a failed export leaves the old one.",
  examples: ["vitrine export --data data/demo", "vitrine export --data data/demo --finetune-dir data/demo/runs/finetune"],
});
