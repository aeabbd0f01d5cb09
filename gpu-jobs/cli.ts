// `vitrine pretrain`: flags → config → run with a progress bar, JSON-lines metrics and checkpoints.
import { join } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { TrainError } from "./errors.ts";
import { parseBackendName } from "./tf/backend.ts";
import { resolvePretrainConfig, type PretrainOverrides } from "./train/pretrain-config.ts";
import { runPretrain } from "./train/pretrain.ts";
import { encodeItemVectors, encodeQueryVectors, hitRateAtK, queryTargets } from "./train/encode-all.ts";

class UsageError extends Error {}

function num(v: string | undefined, flag: string, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new UsageError(`--${flag} must be a ${int ? "whole " : ""}number, got "${v}"`);
  return n;
}

/** `vitrine pretrain --data DIR [--preset tiny|cpu|base] [--resume] ...`; resolves to the exit code. */
export async function pretrainCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        data: { type: "string" }, preset: { type: "string", default: "cpu" }, steps: { type: "string" }, "batch-size": { type: "string" },
        lr: { type: "string" }, seed: { type: "string" }, fusion: { type: "string" }, "query-tower": { type: "string" }, mpm: { type: "string" },
        "no-mbns": { type: "boolean" }, "no-cdns": { type: "boolean" }, "stage1-fraction": { type: "string" }, "checkpoint-every": { type: "string" },
        backend: { type: "string" }, resume: { type: "boolean" }, "run-dir": { type: "string" }, quiet: { type: "boolean" },
      },
    });
  } catch (e) {
    console.error(`vitrine pretrain: ${(e as Error).message}`);
    return 2;
  }
  const v = parsed.values;
  let config;
  try {
    if (!v.data) throw new UsageError("--data DIR is required (a data directory `vitrine import` wrote)");
    const o: PretrainOverrides = {};
    const set = <K extends keyof PretrainOverrides>(k: K, x: PretrainOverrides[K] | undefined) => {
      if (x !== undefined) o[k] = x;
    };
    set("steps", num(v.steps, "steps", true));
    set("batchSize", num(v["batch-size"], "batch-size", true));
    set("lr", num(v.lr, "lr"));
    set("seed", num(v.seed, "seed", true));
    set("stage1Fraction", num(v["stage1-fraction"], "stage1-fraction"));
    set("checkpointEvery", num(v["checkpoint-every"], "checkpoint-every", true));
    set("fusion", v.fusion as PretrainOverrides["fusion"]);
    set("queryTower", v["query-tower"] as PretrainOverrides["queryTower"]);
    set("mpm", v.mpm as PretrainOverrides["mpm"]);
    if (v["no-mbns"]) o.mbns = { enabled: false };
    if (v["no-cdns"]) o.cdns = { enabled: false };
    config = resolvePretrainConfig(v.preset as "tiny", o);
    if (v.backend) parseBackendName(v.backend);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TrainError) {
      console.error(`vitrine pretrain: ${e.message}\n(see vitrine pretrain --help)`);
      return 2;
    }
    throw e;
  }
  const bar = new cliProgress.SingleBar(
    { format: " pretrain [{bar}] {value}/{total} steps  stage {stage}  loss {loss}  {sps} samples/s", stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const quiet = v.quiet === true;
  let started = false;
  const result = await runPretrain({
    dataDir: v.data!,
    config,
    ...(v["run-dir"] ? { runDir: v["run-dir"] } : {}),
    ...(v.resume ? { resume: true } : {}),
    ...(v.backend ? { backend: parseBackendName(v.backend) } : {}),
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
  console.log(`pretrain done: ${result.steps} steps on ${result.backend}; final loss ${result.lastMetrics?.loss.toFixed(4) ?? "-"}; training HitRate@10 ${hit.toFixed(3)} (${sample} queries)`);
  console.log(`checkpoint: ${join(result.runDir, "latest")}   metrics: ${join(result.runDir, "metrics.jsonl")}`);
  result.model.dispose();
  return 0;
}

/** `vitrine finetune --data DIR [--steps N] [--resume] ...`; resolves to the exit code. */
export async function finetuneCommand(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        data: { type: "string" }, steps: { type: "string" }, "batch-size": { type: "string" }, negatives: { type: "string" }, lr: { type: "string" },
        seed: { type: "string" }, "checkpoint-every": { type: "string" }, "pretrain-dir": { type: "string" }, "run-dir": { type: "string" },
        backend: { type: "string" }, resume: { type: "boolean" },
      },
    }).values;
    if (!v.data) throw new UsageError("--data DIR is required (a data directory with a finished `vitrine pretrain`)");
    num(v.steps, "steps", true);
    num(v["batch-size"], "batch-size", true);
    num(v.negatives, "negatives", true);
    num(v.lr, "lr");
    if (v.backend) parseBackendName(v.backend);
  } catch (e) {
    console.error(`vitrine finetune: ${(e as Error).message}\n(see vitrine finetune --help)`);
    return 2;
  }
  const { runFinetune } = await import("./train/finetune.ts");
  const bar = new cliProgress.SingleBar({ format: " finetune [{bar}] {value}/{total} steps  loss {loss}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  const opt = <T,>(x: T | undefined) => x;
  const r = await runFinetune({
    dataDir: v.data!,
    ...(v.steps ? { steps: Number(v.steps) } : {}),
    ...(v["batch-size"] ? { batchSize: Number(v["batch-size"]) } : {}),
    ...(v.negatives ? { negatives: Number(v.negatives) } : {}),
    ...(v.lr ? { lr: Number(v.lr) } : {}),
    ...(v.seed ? { seed: Number(v.seed) } : {}),
    ...(v["checkpoint-every"] ? { checkpointEvery: Number(v["checkpoint-every"]) } : {}),
    ...(opt(v["pretrain-dir"]) ? { pretrainDir: v["pretrain-dir"]! } : {}),
    ...(opt(v["run-dir"]) ? { runDir: v["run-dir"]! } : {}),
    ...(v.backend ? { backend: parseBackendName(v.backend) } : {}),
    ...(v.resume ? { resume: true } : {}),
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
export async function exportCommand(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { data: { type: "string" }, "run-dir": { type: "string" }, out: { type: "string" }, backend: { type: "string" }, samples: { type: "string" }, "finetune-dir": { type: "string" } } }).values;
    if (!v.data && !(v["run-dir"] && v.out)) throw new UsageError("--data DIR is required (or both --run-dir and --out)");
    num(v.samples, "samples", true);
    if (v.backend) parseBackendName(v.backend);
  } catch (e) {
    console.error(`vitrine export: ${(e as Error).message}\n(see vitrine export --help)`);
    return 2;
  }
  const { exportModel, ExportError } = await import("./onnx/index.ts");
  try {
    const r = await exportModel({
      runDir: v["run-dir"] ?? join(v.data!, "runs", "pretrain"),
      outDir: v.out ?? join(v.data!, "model"),
      ...(v["finetune-dir"] ? { finetuneDir: v["finetune-dir"] } : {}),
      ...(v.backend ? { backend: parseBackendName(v.backend) } : {}),
      ...(v.samples ? { parity: { samples: Number(v.samples) } } : {}),
      log: (m) => console.error(m),
    });
    const p = r.card.parity as { query: { maxAbsDiff: number }; item: { maxAbsDiff: number } };
    console.log(`exported to ${r.outDir}: ${r.files.map((f) => f.split("/").at(-1)).join(", ")}`);
    console.log(`parity (TF.js vs ONNX Runtime, max |Δ|): query ${p.query.maxAbsDiff.toExponential(2)}, item ${p.item.maxAbsDiff.toExponential(2)} (limit 1e-4)`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      console.error(`vitrine export: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** `vitrine embed --data DIR [--model DIR] [--batch-size 256] [--no-resume]`; resolves to the exit code. */
export async function embedCommand(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { data: { type: "string" }, model: { type: "string" }, "batch-size": { type: "string" }, "no-resume": { type: "boolean" } } }).values;
    if (!v.data) throw new UsageError("--data DIR is required (a data directory with an exported model in DIR/model)");
    num(v["batch-size"], "batch-size", true);
  } catch (e) {
    console.error(`vitrine embed: ${(e as Error).message}\n(see vitrine embed --help)`);
    return 2;
  }
  const { embedCatalog } = await import("./embed/embed-catalog.ts");
  const bar = new cliProgress.SingleBar({ format: " embed [{bar}] {value}/{total} items  {ips} items/s", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  let started = false;
  const r = await embedCatalog({
    dataDir: v.data!,
    ...(v.model ? { modelDir: v.model } : {}),
    ...(v["batch-size"] ? { batchSize: Number(v["batch-size"]) } : {}),
    ...(v["no-resume"] ? { resume: false } : {}),
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, 0, { ips: "-" });
        started = true;
      }
      bar.update(done, { ips: Math.round(done / ((performance.now() - t0) / 1000)) });
    },
  }).finally(() => bar.stop());
  console.log(`embedded ${r.items} items (${r.textOnly} text-only, image side masked) with ONNX Runtime on ${r.provider}${r.resumedFrom ? `, resumed at item ${r.resumedFrom}` : ""}: ${Math.round(r.itemsPerSec)} items/s`);
  return 0;
}
