// `vitrine eval`: the table (the runner is gpu-jobs/eval/eval-command.ts).
import { defineVerb } from "../spec.ts";
import { BACKEND_FLAG, PRESET_CHOICES } from "./common.ts";

const ABLATIONS = "ablations (--ablations)";

/** Ablation row names `--only` takes (aliases are accepted too; the runner checks them). */
export const ABLATION_ROW_IDS = [
  "text",
  "concat",
  "fusion-no-stage1",
  "fusion",
  "in-batch",
  "mbns",
  "cdns",
  "both",
  "mpm-regression",
  "mpm-contrastive",
  "fusion-vision-default",
  "fusion-grid4",
  "fusion-grid1",
  "fusion-grid2",
  "fusion-grid8",
  "fusion-global-token",
  "fusion-global-half",
  "fusion-cnn-wide",
  "fusion-cnn-deep",
  "fusion-stage1-align",
  "fusion-stage1-classify",
  "fusion-title-dropout",
  "fusion-image-contrast",
  "fusion-stage1-contrast",
  "fusion-grid1-image-contrast",
] as const;

export const EVAL = defineVerb({
  name: "eval",
  summary: "evaluate on held-out clicks: Recall@K, HitRate@K, NDCG@10, relevance, category consistency",
  usage: [
    "--data DIR [--run-dir DIR ...] [--release rNNN|active|none] [options]",
    "--data DIR --api URL [--key KEY] [--clicks FILE] [--judgments FILE]",
    "--data DIR --ablations [--preset P] [--seeds 1,2,3] [--only a,b] [options]",
  ],
  description: `Every model is ranked as the API serves it (query understanding, precomputed qid lists, the
vector and BM25 channels with the blend fitted on the tuning half of the held-out pairs,
relaxation), on the test half, with exact search (--ann measures the ANN index apart). Tables
overall and per slice: unseen / seen pairs, head / tail queries, cold items, titles that omit the
queried attribute; a terminal table, report.md and report.html.`,
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory with held-out clicks (and judgments, if imported)" },
    "run-dir": { type: "string", value: "DIR", multiple: true, defaultText: "<data>/runs/pretrain if present", help: "pre-training run to evaluate" },
    release: {
      type: "string",
      value: "rNNN|active|none",
      pattern: /^(r\d{3,}|active|none)$/,
      expect: 'a release id like r002, "active" or "none"',
      defaultText: "active",
      help: "also score a published release exactly as it serves (none: skip)",
    },
    clicks: { type: "string", value: "FILE", help: "evaluate on this click log instead of the import's held-out clicks (unknown items are counted and listed, never fatal)" },
    judgments: { type: "string", value: "FILE", help: "graded judgments { query, item_id, grade } instead of the imported ones" },
    prior: { type: "boolean", help: "also fit the popularity prior into every candidate's blend, as `publish --prior` does (a published release is scored as it serves)" },
    out: { type: "string", value: "DIR", defaultText: "<data>/eval; <data>/eval/ablations with --ablations", help: "report folder" },
    ann: { type: "boolean", help: "also search through the IVF_HNSW_SQ index publish builds and report its recall against exact top-K" },
    backend: BACKEND_FLAG,
    api: { type: "string", value: "URL", help: "score a running API through REST /v1/retrieve (edge included): what it serves", group: "remote (--api)" },
    key: { type: "string", value: "KEY", env: "VITRINE_API_KEY", requires: "api", help: "API key with read access", group: "remote (--api)" },
    ablations: {
      type: "boolean",
      help: "train (as `vitrine pretrain` child processes, <data>/runs/ablation-<variant>-s<seed>) and compare seed 003's item towers and seed 001's negatives and MPM; finished runs with the same config anywhere under <data>/runs are reused, partial ones resumed; rows are means ± sd over --seeds",
      group: ABLATIONS,
    },
    preset: { type: "enum", choices: PRESET_CHOICES, default: "cpu", requires: "ablations", help: "model preset of the ablation runs", group: ABLATIONS },
    steps: { type: "int", min: 1, requires: "ablations", defaultText: "by preset", help: "pre-training steps of each run", group: ABLATIONS },
    seeds: { type: "list", of: "int", min: 0, value: "a,b,c", requires: "ablations", defaultText: "1,2,3", help: "training seeds of every ablation row", group: ABLATIONS },
    "finetune-steps": {
      type: "int",
      min: 0,
      requires: "ablations",
      defaultText: "the preset's retrain steps (tiny 20, cpu 0)",
      help: 'also fine-tune every run as retrain does and report "+ fine-tuned" rows; 0 skips them',
      group: ABLATIONS,
    },
    only: {
      type: "list",
      of: "string",
      value: "a,b",
      requires: "ablations",
      defaultText: "all",
      help: `ablation rows to run: ${ABLATION_ROW_IDS.join(", ")}`,
      group: ABLATIONS,
    },
    concurrency: { type: "int", min: 1, default: 1, requires: "ablations", help: "ablation trainings at once", group: ABLATIONS },
    workers: {
      type: "int",
      min: 1,
      max: 1024,
      defaultText: "2",
      requires: "ablations",
      help: "data-parallel workers of every ablation run (the objective depends on it; CDNS needs 2 or more; 1 reuses runs trained before workers existed)",
      group: ABLATIONS,
    },
    "fixed-blend": {
      type: "string",
      value: "W|rrf:W",
      multiple: true,
      pattern: /^(convex:|rrf:)?(\d*\.?\d+)(,prior:\d*\.?\d+)?$/,
      expect: "a vector weight in [0, 1] such as 0.5, or rrf:W / convex:W, optionally with ,prior:P",
      requires: "ablations",
      help: "also score every run as served with this fixed blend instead of the fitted one (a table of fitted vs fixed blends); repeatable",
      group: ABLATIONS,
    },
  },
  examples: [
    "vitrine eval --data data/demo",
    "vitrine eval --data data/demo --release r003",
    "vitrine eval --data data/demo --clicks my-clicks.jsonl --judgments my-judgments.jsonl",
    "vitrine eval --data data/demo --api http://127.0.0.1:8787 --key KEY",
    "vitrine eval --data data/demo --ablations --seeds 1,2,3 --only fusion-no-stage1,fusion",
    "vitrine eval --data data/demo --ablations --only text --fixed-blend 0.5 --fixed-blend rrf:0.5",
  ],
});
