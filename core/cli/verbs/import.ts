// `vitrine import`: the table (the runner is ingest/cli.ts).
import { SPLIT_MODES } from "../../holdout.ts";
import { defineVerb } from "../spec.ts";

export const IMPORT = defineVerb({
  name: "import",
  summary: "validate and import a catalog and click logs into a data directory",
  usage: ["--catalog FILE [--clicks FILE] [--eval-clicks FILE] --out DIR [options]", "--dataset DIR --out DIR [options]"],
  flags: {
    catalog: { type: "string", value: "FILE", help: "items: .jsonl, .csv or .parquet ({ id, title, image?, brand?, category?, price?, attributes? })" },
    clicks: { type: "string", value: "FILE", help: "click log ({ query, item_id, clicks?, purchases?, ts? })" },
    "eval-clicks": { type: "string", value: "FILE", defaultText: "split off --eval-fraction of --clicks", help: "held-out clicks for evaluation" },
    judgments: { type: "string", value: "FILE", help: "graded relevance ({ query, item_id, grade }) for evaluation" },
    dataset: {
      type: "string",
      value: "DIR",
      help: "take catalog.jsonl, clicks.jsonl, clicks-eval.jsonl and judgments.jsonl from DIR (the layout `vitrine datasets` writes); --catalog and the others override single files",
    },
    out: { type: "string", value: "DIR", required: true, help: "the data directory to import into (store/, rejects.jsonl, import.json, cache/), or an s3://, az:// or gs:// store" },
    "eval-fraction": { type: "number", min: 0, max: 1, maxExclusive: true, defaultText: "0.1", help: "share of --clicks held out when no --eval-clicks file is given" },
    split: {
      type: "enum",
      choices: SPLIT_MODES,
      defaultText: "pair",
      help: "how held-out clicks are split off --clicks: pair (every row of a held-out (query, item) pair, so no held-out pair occurs in training), time (the latest rows by ts), row (random rows: leaks)",
    },
    seed: { type: "int", min: 0, default: 0, help: "seed of that split" },
    map: { type: "string", value: "F=COL,...", help: "catalog columns to read as Vitrine's fields, e.g. id=Handle,title=Title (columns may hold spaces)" },
    columns: { type: "enum", choices: ["shopify", "woocommerce"], help: "map a shop platform's product export (--map overrides single fields)" },
    "no-images": { type: "boolean", help: "import every item text-only" },
    "cache-dir": { type: "string", value: "DIR", defaultText: "<out>/cache/images", help: "image cache", group: "images" },
    "image-size": { type: "int", min: 4, defaultText: "64", help: "thumbnail side in pixels, divisible by 4 (the patch grid)", group: "images" },
    "timeout-ms": { type: "int", min: 0, defaultText: "10000", help: "per-attempt image download timeout", group: "images" },
    retries: { type: "int", min: 0, defaultText: "2", help: "extra download attempts on a timeout or 5xx", group: "images" },
    concurrency: { type: "int", min: 1, defaultText: "8", help: "images fetched and decoded at once", group: "images" },
    "allow-private-hosts": { type: "boolean", help: "fetch image URLs on loopback and private addresses too (refused by default)", group: "images" },
    "allow-outside-paths": { type: "boolean", help: "read local image paths outside the catalog's folder (refused by default)", group: "images" },
  },
  notes: `Bad rows never stop an import: they go to <out>/rejects.jsonl with file, line and reason.
Unreadable images leave the item text-only (flagged). Re-running on the same input is idempotent.`,
  examples: [
    "vitrine import --dataset data/demo-src --out data/demo",
    "vitrine import --catalog catalog.jsonl --clicks clicks.jsonl --out data/shop",
    "vitrine import --catalog items.parquet --clicks clicks.csv --split time --out data/shop",
    "vitrine import --catalog products_export.csv --columns shopify --out data/shop",
  ],
});
