// `vitrine embed`: the table (the runner is gpu-jobs/cli.ts).
import { defineVerb } from "../spec.ts";
import { IMAGE_ENCODER_HELP } from "./common.ts";

export const EMBED = defineVerb({
  name: "embed",
  summary: "embed every catalog item with the exported item tower on ONNX Runtime (resumable)",
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory with an exported model (<data>/model, from `vitrine export`)" },
    model: { type: "string", value: "DIR", defaultText: "<data>/model", help: "another exported model folder" },
    "batch-size": { type: "int", min: 1, defaultText: "256", help: "items per ONNX Runtime call" },
    "no-resume": { type: "boolean", help: "start over instead of continuing an interrupted run of the same model" },
    "image-encoder": { type: "string", value: "FILE.onnx", defaultText: "the one the model card records", help: IMAGE_ENCODER_HELP.reuse },
  },
  notes: `Items without a usable image go through the same graph with the image side masked. A model
trained with --image-encoder embeds with that encoder's features (cached per image in
<data>/cache/features), found where its model card says.`,
  examples: ["vitrine embed --data data/demo"],
});
