// `vitrine publish`: the table (the runner is lancedb/cli.ts; the edge flags go to lancedb/edge-cli.ts).
import { defineVerb } from "../spec.ts";
import { EDGE_CREDENTIAL_FLAGS, MAX_SEED, NO_EDGE_FLAG } from "./common.ts";

const EDGE = "edge (--edge)";

export const PUBLISH = defineVerb({
  name: "publish",
  summary: "publish a release (items + vector index, qid top-K lists, lexicon) to LanceDB",
  usage: ["--data DIR [--encoder hash|onnx] [--model DIR] [--no-activate] [options]", "--data DIR --edge [--release rNNN|active] [edge options]"],
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "data directory a `vitrine import` completed in, or its s3://, az:// or gs:// store" },
    encoder: {
      type: "enum",
      choices: ["hash", "onnx"],
      default: "hash",
      help: "hash: the lexical baseline (hashed words + character trigrams); onnx: the trained towers (items from `vitrine embed`, queries through query.onnx)",
    },
    model: { type: "string", value: "DIR", defaultText: "<data>/model", help: "exported model folder; implies --encoder onnx" },
    dim: { type: "int", min: 2, defaultText: "128", help: "hash encoder dimension" },
    seed: { type: "int", min: 0, max: MAX_SEED, defaultText: "0", help: "hash encoder seed" },
    "top-k": { type: "int", min: 1, max: 10_000, defaultText: "200", help: "length of each precomputed qid list" },
    blend: {
      type: "string",
      value: "fit|W|rrf:W",
      pattern: /^(fit|(convex:|rrf:)?(\d*\.?\d+)(,prior:\d*\.?\d+)?)$/,
      expect: '"fit", a vector weight in [0, 1] such as 0.7, or rrf:W / convex:W, optionally with ,prior:P',
      default: "fit",
      help: "how the vector and BM25 channels and the popularity prior are fused: fit picks the vector weight on the tuning half of the held-out clicks (the weight nearest 0.5 within one standard error of the best), then the popularity prior's weight (the smallest within one standard error of the best; none with --no-prior); W fixes the vector weight (1: vectors alone decide, 0: BM25 first) and ,prior:P the prior's (default 0); rrf:W uses reciprocal-rank fusion",
    },
    "no-prior": {
      type: "boolean",
      help: 'do not fit the popularity prior (the items\' training clicks) into the blend; by default the fit keeps it at 0.3 unless the tuning clicks show another weight, down to 0, doing better (QUALITY.md, "The popularity prior")',
    },
    "no-lexical": { type: "boolean", help: "no BM25 channel: vectors alone (with the popularity prior unless --no-prior)" },
    "exact-threshold": { type: "int", min: 0, defaultText: "50000", help: "below this many items no ANN index is built" },
    ann: { type: "enum", choices: ["hnsw", "pq"], defaultText: "hnsw", help: "ANN index above the threshold: hnsw (IVF_HNSW_SQ, cosine) or pq (IVF_PQ)" },
    "no-activate": { type: "boolean", help: "publish without pointing readers at the new release" },
    wait: { type: "int", min: 0, value: "SECONDS", defaultText: "0", help: "wait up to N seconds while another writer holds the data directory's writer lease (0: fail at once, exit 5)" },
    keep: { type: "int", min: 0, help: "afterwards, garbage-collect all but the active release, its rollback target and the N newest" },
    edge: {
      type: "boolean",
      help: "after publishing, push the release's qid lists (with item attributes) and lexicon to Workers KV for the edge Worker, then point the edge at it (only when the release is active: with --no-activate the keys are staged)",
      group: EDGE,
    },
    release: {
      type: "string",
      value: "rNNN|active",
      pattern: /^(r\d{3,}|active)$/,
      expect: 'a release id like r003 or "active"',
      requires: "edge",
      help: "push that existing release instead of publishing one",
      group: EDGE,
    },
    "edge-account": { ...EDGE_CREDENTIAL_FLAGS["edge-account"], requires: "edge", group: EDGE },
    "edge-namespace": { ...EDGE_CREDENTIAL_FLAGS["edge-namespace"], requires: "edge", group: EDGE },
    "edge-token": { ...EDGE_CREDENTIAL_FLAGS["edge-token"], requires: "edge", group: EDGE },
    "edge-endpoint": { ...EDGE_CREDENTIAL_FLAGS["edge-endpoint"], requires: "edge", group: EDGE },
    "edge-list-length": { type: "int", min: 1, requires: "edge", help: "push at most N items per list (smaller values; larger k are forwarded)", group: EDGE },
    "edge-no-flip": { type: "boolean", requires: "edge", help: "write the keys but leave the edge's pointer where it is", group: EDGE },
    "no-edge": { ...NO_EDGE_FLAG, group: EDGE },
  },
  notes: [
    "A release becomes visible only when every table and index is complete.",
    "In a data directory that has an edge (an earlier --edge), an activating publish pushes to it",
    "when the Cloudflare variables are set, and otherwise refuses unless --no-edge.",
  ].join("\n"),
  retired: { prior: "the blend fit weighs the popularity prior in by default now (at 0 where the tuning clicks do not show it helping); --no-prior turns it off" },
  examples: [
    "vitrine publish --data data/demo",
    "vitrine publish --data data/demo --encoder onnx --no-activate",
    "vitrine publish --data data/demo --blend rrf:0.5 --keep 3",
    "vitrine publish --data data/demo --edge --release active",
  ],
});
