// The verb table: help text lives here so `vitrine <verb> --help` never loads a verb's module,
// and each verb's module is imported only when that verb runs (serve never loads TF.js).

/** One CLI verb. */
export interface Verb {
  /** One line for the verb list. */
  summary: string;
  /** Full usage text for `vitrine <verb> --help`. */
  usage: string;
  /** Loads the verb's runner. */
  load: () => Promise<(argv: string[]) => Promise<number>>;
}

export const VERBS: Record<string, Verb> = {
  datasets: {
    summary: "generate a built-in dataset (demo, fashion-mnist) as catalog + click files",
    usage: `vitrine datasets <demo|fashion-mnist> --out DIR [--seed N] [--items N] [--clicks N] [--title-attr-rate X] [--source DIR]

  demo            a generated shop: rendered garment images, titles that often omit colour/pattern
  fashion-mnist   real Zalando images from Debian's dataset-fashion-mnist package
  --out DIR       folder to write catalog.jsonl, images/, clicks.jsonl, clicks-eval.jsonl, ...
  --seed N        seed; the same seed gives byte-identical files (default 42)
  --items N       catalog size (demo default 2000, fashion-mnist default 5000)
  --clicks N      training click rows (default 7.5 per item; the eval log is 12% of it)
  --title-attr-rate X   share of titles naming colour/pattern (demo) or type (fashion-mnist) (default 0.4)
  --source DIR    fashion-mnist: folder of the IDX files (default /usr/share/datasets/fashion-mnist)`,
    load: async () => (await import("../datasets/cli.ts")).datasetsCommand,
  },
  import: {
    summary: "validate and import a catalog and click logs into a data directory",
    usage: `vitrine import --catalog FILE [--clicks FILE] [--eval-clicks FILE] [--judgments FILE] --out DIR
vitrine import --dataset DIR --out DIR

  --catalog FILE      items: .jsonl, .csv or .parquet ({ id, title, image?, brand?, category?, price?, attributes? })
  --clicks FILE       click log ({ query, item_id, clicks?, purchases?, ts? })
  --eval-clicks FILE  held-out clicks for evaluation (default: split off --eval-fraction of --clicks)
  --judgments FILE    graded relevance ({ query, item_id, grade }) for evaluation
  --dataset DIR       take catalog.jsonl, clicks.jsonl, clicks-eval.jsonl, judgments.jsonl from DIR
                      (the layout \`vitrine datasets\` writes)
  --out DIR           data directory (store/, rejects.jsonl, import.json, cache/)
  --eval-fraction X   share held out when no eval file is given (default 0.1)
  --split MODE        how: pair (default; every row of a held-out (query, item) pair, so no held-out
                      pair occurs in training), time (the latest rows by ts), row (random rows: leaks)
  --seed N            seed of that split (default 0)
  --no-images         import every item text-only
  --cache-dir DIR     image cache (default DIR/cache/images)
  --image-size N      thumbnail side in pixels, divisible by 4 (default 64)
  --timeout-ms N      per-attempt image download timeout (default 10000)
  --retries N         extra download attempts on timeout/5xx (default 2)
  --concurrency N     images fetched/decoded at once (default 8)

Bad rows never stop an import: they go to DIR/rejects.jsonl with file, line and reason.
Unreadable images leave the item text-only (flagged). Re-running on the same input is idempotent.`,
    load: async () => (await import("../ingest/cli.ts")).importCommand,
  },
  pretrain: {
    summary: "pre-train the query and item towers (stage 1 vision, then MLM, MPM, QIC, QIM, QIM2)",
    usage: `vitrine pretrain --data DIR [--preset tiny|cpu|base] [--resume] [options]

  --data DIR            data directory a \`vitrine import\` completed in
  --preset P            tiny (tests, seconds), cpu (the demo: minutes on 2 cores), base (12×768, GPU)
  --steps N, --batch-size N, --lr X, --seed N      schedule (preset defaults)
  --fusion text|concat|fusion                      item tower variant (default fusion)
  --query-tower shared|separate                    query tower (default shared)
  --mpm contrastive|regression                     masked patch modelling (default contrastive)
  --no-mbns, --no-cdns                             switch off memory-bank / cross-device negatives
  --stage1-fraction X   share of steps for stage 1 (vision adaptation, seed 003; default 0: it lost
                        on held-out pairs here, QUALITY.md; 0.2 is the two-stage ablation)
  --checkpoint-every N  steps between checkpoints
  --backend node-gpu|node|wasm|cpu                 force a TF.js backend (default: best available)
  --resume              continue from the newest checkpoint in the run folder
  --run-dir DIR         run folder (default DIR/runs/pretrain): checkpoints, tokenizer.json, metrics.jsonl`,
    load: async () => (await import("../gpu-jobs/cli.ts")).pretrainCommand,
  },
  finetune: {
    summary: "fine-tune: FC projection + item-ID embeddings, sampled softmax with logQ (seed 000)",
    usage: `vitrine finetune --data DIR [--steps 300] [--batch-size 128] [--negatives 512] [--lr X] [--resume]

  --data DIR            data directory with a finished \`vitrine pretrain\` (DIR/runs/pretrain)
  --negatives N         negatives sampled per step in proportion to click frequency
  --pretrain-dir DIR    pre-training run to start from; --run-dir DIR this run's folder
  --backend B, --seed N, --checkpoint-every N, --resume   as for pretrain

The pre-trained towers stay frozen; prints held-out HitRate@10 before and after.`,
    load: async () => (await import("../gpu-jobs/cli.ts")).finetuneCommand,
  },
  export: {
    summary: "export the query and item towers to ONNX; counts only if TF.js and ONNX Runtime agree to 1e-4",
    usage: `vitrine export --data DIR [--run-dir DIR] [--out DIR] [--samples 256] [--backend wasm|cpu]

  --data DIR     data directory with a pre-training run (DIR/runs/pretrain); writes DIR/model
  --run-dir DIR  the training run to export (default DIR/runs/pretrain)
  --out DIR      where query.onnx, item.onnx, tokenizer.json and model.json go (default DIR/model)
  --samples N    inputs in the parity check (default 256)
  --finetune-dir DIR   a finished \`vitrine finetune\` run (e.g. DIR/runs/finetune): its head joins the
                 model (query.onnx ends in the query projection; item-head.* for \`vitrine embed\`)

The folder is replaced only after the parity check passes; a failed export leaves the old one.`,
    load: async () => (await import("../gpu-jobs/cli.ts")).exportCommand,
  },
  embed: {
    summary: "embed every catalog item with the exported item tower on ONNX Runtime (resumable)",
    usage: `vitrine embed --data DIR [--model DIR] [--batch-size 256] [--no-resume]

  --data DIR      data directory with an exported model (DIR/model, from \`vitrine export\`)
  --model DIR     another exported model folder
  --no-resume     start over instead of continuing an interrupted run of the same model

Items without a usable image go through the same graph with the image side masked.`,
    load: async () => (await import("../gpu-jobs/cli.ts")).embedCommand,
  },
  eval: {
    summary: "evaluate on held-out clicks: Recall@K, HitRate@K, NDCG@10, relevance, category consistency",
    usage: `vitrine eval --data DIR [--run-dir DIR ...] [--release rNNN|active|none] [--clicks FILE] [--judgments FILE] [--out DIR] [--ann]
vitrine eval --data DIR --api URL [--key KEY] [--clicks FILE] [--judgments FILE]
vitrine eval --data DIR --ablations [--preset tiny|cpu|base] [--steps N] [--seeds 1,2,3] [--finetune-steps N] [--concurrency 1] [--only a,b]

  --data DIR       data directory with held-out clicks (and judgments, if imported)
  --run-dir DIR    pre-training run(s) to evaluate, repeatable (default DIR/runs/pretrain if present)
  --release R      also score a published release exactly as it serves (default active; none: skip)
  --clicks FILE    evaluate on this click log instead of the import's held-out clicks (same format
                   as the click log; unknown items are counted and listed, never fatal)
  --judgments FILE graded judgments { query, item_id, grade } instead of the imported ones
  --api URL        score a running API through REST /v1/retrieve (edge included): what it serves
  --key KEY        API key with read access for --api (default: VITRINE_API_KEY)
  --out DIR        report folder (default DIR/eval; DIR/eval/ablations with --ablations)
  --ann            also search through the IVF_HNSW_SQ index publish builds and report its recall
                   against exact top-K
  --ablations      train (as \`vitrine pretrain\` child processes, DIR/runs/ablation-<variant>-s<seed>)
                   and compare seed 003's item towers (text-only, concat, fusion without / with stage 1)
                   and seed 001's negatives and MPM (in-batch, +MBNS, +CDNS, both; regression vs
                   contrastive MPM); finished runs with the same config anywhere under DIR/runs are
                   reused, partial ones resumed; rows are means ± sd over --seeds
  --seeds a,b,c    training seeds of every ablation row (default 1,2,3)
  --finetune-steps N  also fine-tune every run as retrain does (default: the preset's retrain
                   steps: tiny 20, cpu 1500) and report "+ fine-tuned" rows; 0 skips them
  --only a,b       ablation rows to run (text, concat, fusion-no-stage1, fusion, in-batch, mbns,
                   cdns, both, mpm-regression, mpm-contrastive)
  --concurrency N  ablation trainings at once (default 1); --preset, --steps as for pretrain

Every model is ranked as the API serves it (query understanding, precomputed qid lists, the vector
and BM25 channels with the blend fitted on the tuning half of the held-out pairs, relaxation), on
the test half, exact search (--ann measures the ANN index apart). Tables overall and per slice:
unseen / seen pairs, head / tail queries, cold items, titles that omit the queried attribute.`,
    load: async () => (await import("../gpu-jobs/eval/eval-command.ts")).evalCommand,
  },
  publish: {
    summary: "publish a release (items + vector index, qid top-K lists, lexicon) to LanceDB",
    usage: `vitrine publish --data DIR [--encoder hash|onnx] [--model DIR] [--dim N] [--seed N] [--top-k N] [--blend fit|W|rrf:W] [--no-lexical]
       [--exact-threshold N] [--ann hnsw|pq] [--no-activate] [--keep N]
       [--edge [--release rNNN|active] [--edge-list-length N] [--edge-no-flip]]

  --data DIR            data directory a \`vitrine import\` completed in
  --encoder hash|onnx   "hash": the lexical baseline (hashed words + character trigrams);
                        "onnx": the trained towers (items from \`vitrine embed\`, queries through
                        query.onnx); --model DIR implies onnx (default DIR/model)
  --dim N, --seed N     hash encoder dimension (default 128) and seed (default 0)
  --top-k N             length of each precomputed qid list (default 200)
  --blend fit|W|rrf:W   how the vector and BM25 channels are fused: "fit" (default) picks the vector
                        weight on the tuning half of the held-out clicks; W fixes it (1 = vectors
                        alone decide, 0 = BM25 first); rrf:W uses reciprocal-rank fusion instead
  --no-lexical          no BM25 channel: vectors alone
  --exact-threshold N   below this many items no ANN index is built (default 50000)
  --ann hnsw|pq         ANN index above the threshold (default hnsw: IVF_HNSW_SQ, cosine)
  --no-activate         publish without pointing readers at the new release
  --keep N              afterwards, garbage-collect all but the active release and the N newest
  --edge                after publishing, push the release's qid lists (with item attributes) and
                        lexicon to Workers KV for the edge Worker, then point the edge at it (only
                        when the release is active: with --no-activate the keys are staged)
  --release rNNN|active with --edge: push that existing release instead of publishing one
  --edge-account ID     Cloudflare account id (CLOUDFLARE_ACCOUNT_ID)
  --edge-namespace ID   id of the KV namespace bound as QIDS in wrangler.toml (VITRINE_EDGE_KV_NAMESPACE)
  --edge-token TOKEN    API token with "Workers KV Storage: Edit" (CLOUDFLARE_API_TOKEN; prefer the variable)
  --edge-endpoint URL   API base (VITRINE_EDGE_KV_ENDPOINT; default https://api.cloudflare.com/client/v4)
  --edge-list-length N  push at most N items per list (smaller values; larger k are forwarded)
  --edge-no-flip        write the keys but leave the edge's pointer where it is

A release becomes visible only when every table and index is complete.`,
    load: async () => {
      const { publishCommand } = await import("../lancedb/cli.ts");
      // The store may not import encoders (DESIGN §1): publish gets the ONNX side from here,
      // imported only when --encoder onnx runs (hash publishes never load ONNX Runtime).
      const { onnxLoaders } = await import("../encoders/index.ts");
      return (argv) => publishCommand(argv, onnxLoaders);
    },
  },
  releases: {
    summary: "list, activate, roll back and garbage-collect releases",
    usage: `vitrine releases [list|activate rNNN|rollback|gc --keep N] --data DIR

  list            complete releases, newest first, the active one marked
  activate rNNN   point readers at a release (one write; servers switch without a failed request)
  rollback        go back to the release active before the current one
  gc --keep N     drop all but the active release, the one rollback returns to, and the N newest`,
    load: async () => (await import("../lancedb/cli.ts")).releasesCommand,
  },
  serve: {
    summary: "serve the API (tRPC at /trpc, REST at /v1, /healthz, /metrics) on the embedded LanceDB",
    usage: `vitrine serve --data DIR [--port 8787] [--host 127.0.0.1] [--config FILE]

  --data DIR     data directory with a published release (VITRINE_DATA)
  --port N       port (VITRINE_PORT, default 8787)
  --host H       interface to bind (VITRINE_HOST)
  --config FILE  JSON config (VITRINE_CONFIG); flags win over the environment, which wins over the file

Keys: VITRINE_API_KEYS="id:key:read,id2:key2:admin". With none configured, a one-off admin key is
generated and printed. The active release is followed: activating another one switches the
server without a failed request.`,
    load: async () => (await import("../api/cli.ts")).serveCommand,
  },
  retrain: {
    summary: "pretrain → finetune → export → embed → eval → publish, gated on the active release",
    usage: `vitrine retrain --data DIR [--preset tiny|cpu|base] [options]
vitrine retrain --data DIR --resume JOB_ID

  --data DIR           data directory a \`vitrine import\` completed in (and the store that is served)
  --preset P           model preset (default cpu); --steps N, --fusion F, --seed N override pre-training
  --finetune-steps N   fine-tuning steps (0 skips it; default by preset: tiny 20, cpu 1500, base 2000)
  --gate-metric M      recall@10|50|100|200, hitrate@10|100, ndcg@10; repeatable, each must hold
                       (default ndcg@10 and recall@100)
  --tolerance X        largest drop below the active release allowed per metric, absolute (default 0.01)
  --min-pairs N        fewest unseen held-out pairs the gate decides on (default 30)
  --force              publish even when the gate refuses (the decision is still recorded)
  --backend B          force a TF.js backend
  --resume JOB_ID      continue a failed, cancelled or interrupted retrain from its checkpoints
  --logs               print the job's log lines under the progress bars

Runs as a job (records, log and runs in DIR/jobs/<id>) through the same manager as the API's
jobs.trigger. The candidate is published inactive, and it and the active release are ranked as
they serve on the test half of the held-out clicks; it is activated only if, on the (query, item)
pairs training never saw, no gate metric falls below the active release's by more than the
tolerance. A refused candidate stays as an inactive release.`,
    load: async () => (await import("../api/jobs/index.ts")).retrainCommand,
  },
  jobs: {
    summary: "list, trigger, watch, cancel or resume jobs of a running API (through the SDK)",
    usage: `vitrine jobs list [--state running]
vitrine jobs trigger <kind> [--config JSON] [--logs]     kind: retrain, pretrain, finetune, export, embed, eval, publish
vitrine jobs watch|get|cancel|resume|logs <job-id> [--tail N]

  --url URL     the API (default $VITRINE_URL or http://127.0.0.1:8787)
  --key KEY     API key (default $VITRINE_KEY); admin for trigger, cancel and resume
  --config JSON job configuration, e.g. '{"preset":"cpu","gate":{"metrics":["ndcg@10","recall@100"],"tolerance":0.01}}'

trigger and watch show a progress bar per stage and end with the eval table; Ctrl-C stops watching,
not the job.`,
    load: async () => (await import("./jobs-command.ts")).jobsCommand,
  },
  "job-run": {
    summary: "run one job in this process (started by the job manager; not for direct use)",
    usage: `vitrine job-run --job DIR [--resume]

  --job DIR   a job folder (<data>/jobs/<id>) holding job.json
  --resume    continue from the job's checkpoints and finished stages

Writes event lines (::vitrine-event {...}) to stdout for the manager; other output is the log.`,
    load: async () => (await import("../gpu-jobs/jobs/run-job.ts")).jobRunCommand,
  },
  demo: {
    summary: "generate the demo shop, import it, serve it, retrain the towers as a job and publish (what npm start runs)",
    usage: `vitrine demo [--data DIR] [--port 8787] [--preset cpu] [--items N] [--seed N] [--no-train] [--retrain]

  --data DIR   where the demo lives (default .vitrine/demo): source/ (the generated shop), data/
  --port N     port to serve on (default 8787)
  --preset P   preset of the retrain job (default cpu: about 15 minutes on 2 cores; tiny: seconds)
  --items N    demo catalog size (default 2000); --seed N its seed (default 42)
  --no-train   serve what exists without training
  --retrain    train again even though an earlier retrain finished

A lexical baseline release serves at once; the retrain runs as a job of the API (watch it with the
SDK's jobs.watch too) and publishes if it passes the eval gate. Each step is skipped when its output
exists, so a second run serves in seconds; an interrupted retrain resumes from its checkpoints.`,
    load: async () => (await import("./demo.ts")).demoCommand,
  },
};
