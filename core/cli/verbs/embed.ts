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
    shard: {
      type: "string",
      value: "I/N",
      pattern: /^\d+\/\d+$/,
      expect: "a shard I/N with 0 ≤ I < N, like 0/4",
      env: "VITRINE_EMBED_SHARD",
      help: "embed only shard I of N (whole batches of the catalog) into its own table; then `--merge-shards N` once",
    },
    "merge-shards": { type: "int", min: 1, max: 10_000, value: "N", help: "merge the outputs of shards 0/N … N-1/N into the embeddings table publish reads (every shard must be complete)" },
    "image-encoder": { type: "string", value: "FILE.onnx", defaultText: "the one the model card records", help: IMAGE_ENCODER_HELP.reuse },
  },
  notes: `Items without a usable image go through the same graph with the image side masked. A model
trained with --image-encoder embeds with that encoder's features (cached per image in
<data>/cache/features), found where its model card says.
Sharded: every shard must use the same --batch-size (shards are whole batches, so the merged
vectors equal a single-process embed bit for bit); --merge-shards takes the data directory's
writer lease and names any shard that is missing or incomplete.`,
  examples: ["vitrine embed --data data/demo", "vitrine embed --data data/demo --shard 0/4", "vitrine embed --data data/demo --merge-shards 4"],
});
