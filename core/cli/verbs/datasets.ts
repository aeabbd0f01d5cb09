// `vitrine datasets <demo|fashion-mnist>`: the table (the runner is datasets/cli.ts).
import { defineVerb } from "../spec.ts";
import { MAX_SEED } from "./common.ts";

export const DATASETS = defineVerb({
  name: "datasets",
  summary: "generate a built-in dataset (demo, fashion-mnist) as catalog + click files",
  subverbNoun: "dataset",
  subverbs: {
    demo: { summary: "a generated shop: garments rendered in colours and patterns, titles that often omit colour/pattern" },
    "fashion-mnist": { summary: "real Zalando images from Debian's dataset-fashion-mnist package" },
  },
  description: `Writes the formats of your own data: catalog.jsonl, images/, clicks.jsonl, clicks-eval.jsonl,
judgments.jsonl, truth.jsonl, queries.jsonl, dataset.json. The same seed and options give
byte-identical files.`,
  flags: {
    out: { type: "string", value: "DIR", required: true, help: "output folder: new, empty, or a previous dataset" },
    seed: { type: "int", min: 0, max: MAX_SEED, default: 42, help: "random seed" },
    items: { type: "int", min: 1, defaultText: "demo 2000, fashion-mnist 5000", help: "number of catalog items" },
    clicks: { type: "int", min: 0, defaultText: "7.5 per item", help: "training click rows (the eval log is 12% of it)" },
    "title-attr-rate": { type: "number", min: 0, max: 1, default: 0.4, help: "share of titles naming colour/pattern (demo) or type (fashion-mnist)" },
    source: { type: "string", value: "DIR", default: "/usr/share/datasets/fashion-mnist", subverbs: ["fashion-mnist"], help: "folder of the fashion-mnist IDX files" },
  },
  examples: ["vitrine datasets demo --out data/demo-src", "vitrine datasets fashion-mnist --out data/fm-src --items 1000 --seed 7"],
});
