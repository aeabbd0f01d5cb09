// `vitrine pretrain | finetune | export | embed`: flags → config → run with a progress bar, metrics and
// checkpoints. Flags and help come from the verbs' tables (core/cli/verbs/).
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { runVerb, UsageError, type ArgsOf } from "../core/cli/index.ts";
import { EMBED, EXPORT, FINETUNE, PRETRAIN } from "../core/cli/verbs/index.ts";
import { resolvePretrainConfig, type PretrainOverrides } from "./train/pretrain-config.ts";
import { runPretrain } from "./train/pretrain.ts";
import { encodeItemVectors, encodeQueryVectors, hitRateAtK, queryTargets } from "./train/encode-all.ts";
import { localDir } from "../lancedb/index.ts";

/** `vitrine pretrain --data DIR [--preset tiny|cpu|base] [--resume] ...`; resolves to the exit code. */
export function pretrainCommand(argv: string[]): Promise<number> {
  return runVerb(PRETRAIN, argv, ({ values: v }) => runPretrainVerb(v), { env: process.env });
}

async function runPretrainVerb(v: ArgsOf<typeof PRETRAIN>["values"]): Promise<number> {
  const o: PretrainOverrides = {};
  const set = <K extends keyof PretrainOverrides>(k: K, x: PretrainOverrides[K] | undefined) => {
    if (x !== undefined) o[k] = x;
  };
  set("steps", v.steps);
  set("batchSize", v["batch-size"]);
  set("lr", v.lr);
  set("seed", v.seed);
  set("stage1Fraction", v["stage1-fraction"]);
  set("checkpointEvery", v["checkpoint-every"]);
  set("fusion", v.fusion);
  set("queryTower", v["query-tower"]);
  set("mpm", v.mpm);
  set("workers", v.workers);
  set("stage1", v.stage1);
  set("patchGrid", v["patch-grid"]);
  set("cnnChannels", v["cnn-channels"]);
  if (v["global-token"]) o.globalToken = true;
  set("globalWeight", v["global-weight"]);
  set("titleDropout", v["title-dropout"]);
  set("imageContrast", v["image-contrast"]);
  for (const n of ["mbns", "cdns"] as const) {
    if (v[n] && v[`no-${n}`]) throw new UsageError("BAD_FLAG", `--${n} and --no-${n} contradict each other; pass one`);
    if (v[n] || v[`no-${n}`]) o[n] = { enabled: !!v[n] };
  }
  // Checks the table cannot make (lr > 0, values that depend on the preset) are the config's: TrainError BAD_OPTION.
  const config = resolvePretrainConfig(v.preset, o);
  const imageEncoder = v["image-encoder"] ? resolve(v["image-encoder"]) : undefined;
  const bar = new cliProgress.SingleBar(
    { format: " pretrain [{bar}] {value}/{total} steps  stage {stage}  loss {loss}  {sps} samples/s", stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const quiet = v.quiet;
  let started = false;
  const result = await runPretrain({
    dataDir: v.data,
    config,
    ...(v["run-dir"] ? { runDir: v["run-dir"] } : {}),
    ...(v.resume ? { resume: true } : {}),
    ...(v.backend ? { backend: v.backend } : {}),
    ...(imageEncoder ? { imageEncoder } : {}),
    log: (m) => console.error(m),
    onStep: (m) => {
      if (quiet) return;
      if (!started) {
        bar.start(m.steps, m.step - 1, { stage: m.stage, loss: "-", sps: "-" });
        started = true;
      }
      bar.update(m.step, { stage: m.stage, loss: m.loss.toFixed(3), sps: m.samplesPerSec.toFixed(0) });
    },
  }).finally(() => bar.stop());
  // Training-set hit rate: a quick sign that matching was learned (held-out metrics: `vitrine eval`).
  const { queries, targets } = queryTargets(result.data.pairs);
  const sample = Math.min(queries.length, 500);
  const hit = hitRateAtK(
    encodeItemVectors(result.model, result.tokenizer, result.data.items),
    encodeQueryVectors(result.model, result.tokenizer, queries.slice(0, sample)),
    result.modelConfig.dim,
    targets.slice(0, sample),
    10,
  );
  console.log(
    `pretrain done: ${result.steps} steps on ${result.backend} × ${result.workers}; final loss ${result.lastMetrics?.loss.toFixed(4) ?? "-"}; training HitRate@10 ${hit.toFixed(3)} (${sample} queries)`,
  );
  console.log(`checkpoint: ${join(result.runDir, "latest")}   metrics: ${join(result.runDir, "metrics.jsonl")}`);
  result.model.dispose();
  return 0;
}

/** `vitrine finetune --data DIR [--steps N] [--resume] ...`; resolves to the exit code. */
export function finetuneCommand(argv: string[]): Promise<number> {
  return runVerb(FINETUNE, argv, ({ values: v }) => runFinetuneVerb(v), { env: process.env });
}

async function runFinetuneVerb(v: ArgsOf<typeof FINETUNE>["values"]): Promise<number> {
  const { runFinetune } = await import("./train/finetune.ts");
  const bar = new cliProgress.SingleBar({ format: " finetune [{bar}] {value}/{total} steps  loss {loss}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  const r = await runFinetune({
    dataDir: v.data,
    ...(v.steps !== undefined ? { steps: v.steps } : {}),
    ...(v["batch-size"] !== undefined ? { batchSize: v["batch-size"] } : {}),
    ...(v.negatives !== undefined ? { negatives: v.negatives } : {}),
    ...(v.lr !== undefined ? { lr: v.lr } : {}),
    ...(v.seed !== undefined ? { seed: v.seed } : {}),
    ...(v["checkpoint-every"] !== undefined ? { checkpointEvery: v["checkpoint-every"] } : {}),
    ...(v.workers !== undefined ? { workers: v.workers } : {}),
    ...(v["pretrain-dir"] ? { pretrainDir: v["pretrain-dir"] } : {}),
    ...(v["run-dir"] ? { runDir: v["run-dir"] } : {}),
    ...(v.backend ? { backend: v.backend } : {}),
    ...(v.resume ? { resume: true } : {}),
    ...(v["image-encoder"] ? { imageEncoder: resolve(v["image-encoder"]) } : {}),
    log: (m) => console.error(m),
    onStep: (m) => {
      if (!started) {
        bar.start(m.steps, m.step - 1, { loss: "-" });
        started = true;
      }
      bar.update(m.step, { loss: m.loss.toFixed(3) });
    },
  }).finally(() => bar.stop());
  const f = (x: number | null) => (x === null ? "n/a (no eval clicks)" : x.toFixed(3));
  console.log(`finetune done: ${r.steps} steps; held-out HitRate@10 ${f(r.hitRate10.before)} (pre-trained) → ${f(r.hitRate10.after)} (fine-tuned)`);
  console.log(`checkpoint: ${join(r.runDir, "latest")}`);
  return 0;
}

/** `vitrine export --data DIR [--run-dir DIR] [--out DIR]`: ONNX graphs + parity check; resolves to the exit code. */
export function exportCommand(argv: string[]): Promise<number> {
  return runVerb(
    EXPORT,
    argv,
    ({ values: v }) => {
      if (!v.data && !(v["run-dir"] && v.out)) throw new UsageError("MISSING_FLAG", "--data DIR is required (or both --run-dir DIR and --out DIR)");
      return runExportVerb(v);
    },
    { env: process.env },
  );
}

async function runExportVerb(v: ArgsOf<typeof EXPORT>["values"]): Promise<number> {
  const { exportModel } = await import("./onnx/index.ts");
  const r = await exportModel({
    runDir: v["run-dir"] ?? join(localDir(v.data!), "runs", "pretrain"),
    outDir: v.out ?? join(localDir(v.data!), "model"),
    ...(v["finetune-dir"] ? { finetuneDir: v["finetune-dir"] } : {}),
    ...(v.backend ? { backend: v.backend } : {}),
    ...(v.samples !== undefined ? { parity: { samples: v.samples } } : {}),
    log: (m) => console.error(m),
  });
  const p = r.card.parity as { query: { maxAbsDiff: number }; item: { maxAbsDiff: number } };
  console.log(`exported to ${r.outDir}: ${r.files.map((f) => f.split("/").at(-1)).join(", ")}`);
  console.log(`parity (TF.js vs ONNX Runtime, max |Δ|): query ${p.query.maxAbsDiff.toExponential(2)}, item ${p.item.maxAbsDiff.toExponential(2)} (limit 1e-4)`);
  return 0;
}

/** `vitrine embed --data DIR [--model DIR] [--batch-size 256] [--no-resume]`; resolves to the exit code. */
export function embedCommand(argv: string[]): Promise<number> {
  return runVerb(EMBED, argv, ({ values: v }) => runEmbedVerb(v), { env: process.env });
}

/** `--shard I/N` → { index, count }, checked before anything loads. */
function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const [index, count] = text.split("/").map(Number) as [number, number];
  if (count < 1 || count > 10_000) throw new UsageError("BAD_FLAG", `--shard ${text}: N must be in [1, 10000]`);
  if (index >= count) throw new UsageError("BAD_FLAG", `--shard ${text}: I must be below N (shards are numbered 0 to ${count - 1}), e.g. --shard ${count - 1}/${count}`);
  return { index, count };
}

async function runEmbedVerb(v: ArgsOf<typeof EMBED>["values"]): Promise<number> {
  const shard = parseShard(v.shard);
  if (v["merge-shards"] !== undefined) {
    if (shard) throw new UsageError("BAD_FLAG", "--merge-shards merges finished shards; run it without --shard, after every `--shard I/N` run");
    const { mergeEmbedShards } = await import("../lancedb/index.ts");
    const m = await mergeEmbedShards(v.data, v["merge-shards"]);
    console.log(`merged ${m.shards} shard(s): ${m.items} item vectors of ${m.modelDir} in the embeddings table; publish with \`vitrine publish --data ${v.data} --encoder onnx\``);
    return 0;
  }
  const { embedCatalog } = await import("./embed/embed-catalog.ts");
  const bar = new cliProgress.SingleBar({ format: " embed [{bar}] {value}/{total} items  {ips} items/s", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  let started = false;
  const r = await embedCatalog({
    dataDir: v.data,
    ...(v.model ? { modelDir: v.model } : {}),
    ...(v["batch-size"] !== undefined ? { batchSize: v["batch-size"] } : {}),
    ...(v["no-resume"] ? { resume: false } : {}),
    ...(v["image-encoder"] ? { imageEncoder: resolve(v["image-encoder"]) } : {}),
    ...(shard ? { shard } : {}),
    log: (m) => console.error(m),
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0, { ips: "-" });
        started = true;
      }
      bar.update(done, { ips: Math.round(done / ((performance.now() - t0) / 1000)) });
    },
  }).finally(() => bar.stop());
  const f = r.imageFeatures;
  if (f) console.log(`image encoder features: ${f.cached} image(s) from the cache, ${f.computed} computed${f.failed ? `, ${f.failed} unreadable (text-only)` : ""}`);
  const part = shard ? `shard ${shard.index}/${shard.count}: items ${r.range.from}..${r.range.to - 1} of ` : "";
  console.log(
    `embedded ${part}${r.items} items (${r.textOnly} text-only, image side masked) with ONNX Runtime on ${r.provider}${r.resumedFrom ? `, resumed at item ${r.range.from + r.resumedFrom}` : ""}: ${Math.round(r.itemsPerSec)} items/s`,
  );
  return 0;
}
