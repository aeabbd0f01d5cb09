// The stages a job process runs (DESIGN §7): each calls the same library function as its CLI verb,
// reports progress through `report`, and returns the numbers recorded on its stage.
import { readFile, rename, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GateDecision, JobConfig, JobProgress, StageName } from "../../core/jobs/index.ts";
import { createHashEncoder } from "../../core/index.ts";
import type { PublishProgress } from "../../lancedb/index.ts";
import type { PresetName } from "../model/config.ts";
import { resolvePretrainConfig, type PretrainOverrides } from "../train/pretrain-config.ts";
import { loadLatestCheckpoint } from "../train/checkpoint.ts";
import { RETRAIN_FINETUNE_STEPS } from "../train/finetune-defaults.ts";
import { probeCard, probeLine, type ModelProbe } from "../eval/model-probe.ts";

/** Where a job's stages read and write. */
export interface StagePaths {
  dataDir: string;
  /** Pre-training run folder. */
  pretrainDir: string;
  /** Fine-tuning run folder. */
  finetuneDir: string;
  /** Exported model folder. */
  modelDir: string;
}

/** What every stage gets. */
export interface StageContext {
  paths: StagePaths;
  config: JobConfig;
  /** Continue from checkpoints. */
  resume: boolean;
  /** Progress of the running stage. */
  report(p: Omit<JobProgress, "stage">): void;
  /** A log line. */
  log(line: string): void;
  /** The gate's decision, once the eval stage made it (publish reads it). */
  gate: GateDecision | null;
}

/** What a stage returns. */
export interface StageOutcome {
  /** skipped: nothing to do (no fine-tuning asked; publish refused by the gate). */
  state: "succeeded" | "skipped";
  metrics: Record<string, number | string | null>;
  gate?: GateDecision;
  release?: string;
}

const preset = (c: JobConfig): PresetName => c.preset ?? "cpu";

async function pretrain(ctx: StageContext): Promise<StageOutcome> {
  const { runPretrain } = await import("../train/pretrain.ts");
  const p = ctx.config.pretrain ?? {};
  const o: PretrainOverrides = {};
  for (const k of [
    "steps",
    "batchSize",
    "lr",
    "seed",
    "fusion",
    "mpm",
    "stage1Fraction",
    "checkpointEvery",
    "workers",
    "stage1",
    "patchGrid",
    "cnnChannels",
    "titleDropout",
    "imageContrast",
    "globalToken",
    "globalWeight",
  ] as const) {
    if (p[k] !== undefined) (o as Record<string, unknown>)[k] = p[k];
  }
  if (p.mbns !== undefined) o.mbns = { enabled: p.mbns };
  if (p.cdns !== undefined) o.cdns = { enabled: p.cdns };
  const config = resolvePretrainConfig(preset(ctx.config), o);
  const r = await runPretrain({
    dataDir: ctx.paths.dataDir,
    runDir: ctx.paths.pretrainDir,
    config,
    resume: ctx.resume,
    ...(ctx.config.backend ? { backend: ctx.config.backend } : {}),
    ...(p.imageEncoder ? { imageEncoder: p.imageEncoder } : {}),
    log: ctx.log,
    onStep: (m) => ctx.report({ done: m.step, total: m.steps, unit: "steps", rate: m.samplesPerSec, detail: { loss: Number(m.loss.toFixed(4)), stage: m.stage } }),
  });
  r.model.dispose();
  return { state: "succeeded", metrics: { steps: r.steps, loss: r.lastMetrics?.loss ?? null, backend: r.backend, workers: r.workers, preset: config.preset, fusion: config.fusion } };
}

async function finetune(ctx: StageContext): Promise<StageOutcome> {
  const f = ctx.config.finetune ?? {};
  const steps = f.steps ?? RETRAIN_FINETUNE_STEPS[preset(ctx.config)];
  if (steps === 0) return { state: "skipped", metrics: { steps: 0 } };
  const { runFinetune } = await import("../train/finetune.ts");
  const r = await runFinetune({
    dataDir: ctx.paths.dataDir,
    pretrainDir: ctx.paths.pretrainDir,
    runDir: ctx.paths.finetuneDir,
    steps,
    ...(f.batchSize !== undefined ? { batchSize: f.batchSize } : {}),
    ...(f.negatives !== undefined ? { negatives: f.negatives } : {}),
    ...(f.lr !== undefined ? { lr: f.lr } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.checkpointEvery !== undefined ? { checkpointEvery: f.checkpointEvery } : {}),
    ...(f.workers !== undefined ? { workers: f.workers } : {}),
    ...(ctx.config.backend ? { backend: ctx.config.backend } : {}),
    resume: ctx.resume,
    log: ctx.log,
    onStep: (m) => ctx.report({ done: m.step, total: m.steps, unit: "steps", rate: null, detail: { loss: Number(m.loss.toFixed(4)) } }),
  });
  return { state: "succeeded", metrics: { steps: r.steps, loss: r.lastLoss, "heldout hitrate@10 before": r.hitRate10.before, "heldout hitrate@10 after": r.hitRate10.after } };
}

async function exportStage(ctx: StageContext): Promise<StageOutcome> {
  const { exportModel } = await import("../onnx/export.ts");
  // The fine-tuned head goes into the graphs only when fine-tuning ran to its end.
  const ft = existsSync(ctx.paths.finetuneDir) ? await loadLatestCheckpoint<{ steps: number }>(ctx.paths.finetuneDir) : null;
  const finetuneDir = ft && ft.step === ft.state.steps ? ctx.paths.finetuneDir : undefined;
  ctx.report({ done: 0, total: 1, unit: "graphs", rate: null, detail: {} });
  const r = await exportModel({
    runDir: ctx.paths.pretrainDir,
    outDir: ctx.paths.modelDir,
    ...(finetuneDir ? { finetuneDir } : {}),
    ...(ctx.config.export?.samples ? { parity: { samples: ctx.config.export.samples } } : {}),
    ...(ctx.config.backend ? { backend: ctx.config.backend } : {}),
    log: ctx.log,
  });
  ctx.report({ done: 1, total: 1, unit: "graphs", rate: null, detail: {} });
  return {
    state: "succeeded",
    metrics: { "parity max abs diff": Math.max(r.card.parity.query.maxAbsDiff, r.card.parity.item.maxAbsDiff), finetuned: finetuneDir ? "yes" : "no", "export ms": Math.round(r.card.exportMs) },
  };
}

async function embed(ctx: StageContext): Promise<StageOutcome> {
  const { embedCatalog } = await import("../embed/embed-catalog.ts");
  const started = performance.now();
  const r = await embedCatalog({
    dataDir: ctx.paths.dataDir,
    modelDir: ctx.paths.modelDir,
    ...(ctx.config.embed?.batchSize ? { batchSize: ctx.config.embed.batchSize } : {}),
    resume: true,
    log: ctx.log,
    onProgress: (done, total) => ctx.report({ done, total, unit: "items", rate: done / Math.max(1e-3, (performance.now() - started) / 1000), detail: {} }),
  });
  return { state: "succeeded", metrics: { items: r.items, "text-only": r.textOnly, "items/s": Math.round(r.itemsPerSec), provider: r.provider, "resumed from": r.resumedFrom } };
}

async function evalStage(ctx: StageContext): Promise<StageOutcome> {
  const { decide, flatMetrics, gateSet } = await import("./eval-gate.ts");
  const { loadEvalContext, SLICES } = await import("../eval/eval-context.ts");
  const { scoreRelease } = await import("../eval/eval-command.ts");
  const { getActiveRelease } = await import("../../lancedb/index.ts");
  const g = ctx.config.gate ?? {};
  ctx.report({ done: 0, total: 4, unit: "steps", rate: null, detail: { step: "stage candidate" } });
  // The candidate is published inactive, with its blend fitted and its qid lists precomputed, so it
  // is measured exactly as it would serve; publish activates it if the gate lets it through.
  const active = await getActiveRelease(ctx.paths.dataDir);
  const staged = await publishCandidate(ctx, false);
  ctx.log(`eval: candidate staged as ${staged.id} (inactive)`);
  ctx.report({ done: 1, total: 4, unit: "steps", rate: null, detail: { step: "score candidate" } });
  const held = await loadEvalContext(ctx.paths.dataDir);
  const candidate = await scoreRelease(held, staged.id);
  ctx.report({ done: 2, total: 4, unit: "steps", rate: null, detail: { step: "score active" } });
  const activeScore = active ? await scoreRelease(held, active.id) : null;
  ctx.report({ done: 3, total: 4, unit: "steps", rate: null, detail: { step: "probe" } });
  // The linear probe (issue #17): how well the item vectors alone tell an item's category, as
  // published and with the title masked (the image side's share).
  let probe: ModelProbe | null = null;
  if (existsSync(join(ctx.paths.modelDir, "item.onnx"))) {
    const { probeExportedModel } = await import("../eval/exported-probe.ts");
    probe = await probeExportedModel({ dataDir: ctx.paths.dataDir, modelDir: ctx.paths.modelDir, items: held.data.items });
    ctx.log(`eval: ${probeLine(staged.id, probe)}`);
  }
  ctx.report({ done: 4, total: 4, unit: "steps", rate: null, detail: {} });
  const gate = decide(candidate!.variant.metrics, activeScore?.variant.metrics ?? null, { candidate: staged.id, active: active?.id ?? null }, held.unseenPairs, {
    tolerance: g.tolerance ?? 0.01,
    ...(g.metrics ? { metrics: g.metrics } : {}),
    ...(g.minPairs !== undefined ? { minPairs: g.minPairs } : {}),
    ...(g.force ? { force: true } : {}),
  });
  ctx.log(`eval gate: ${gate.message}`);
  const cm = candidate!.variant.metrics;
  const am = activeScore?.variant.metrics ?? null;
  const slices = (m: typeof cm) => Object.fromEntries(Object.entries(m.slices).map(([k, v]) => [k, flatMetrics(v)]));
  // The model card carries the numbers it was published (or refused) with, overall and per slice.
  const cardPath = join(ctx.paths.modelDir, "model.json");
  const card = JSON.parse(await readFile(cardPath, "utf8")) as Record<string, unknown>;
  card.metrics = {
    testQueries: held.queries.length,
    unseenPairs: held.unseenPairs,
    source: held.source,
    candidate: { release: staged.id, ...flatMetrics(cm.overall), slices: slices(cm) },
    active: am ? { release: active!.id, ...flatMetrics(am.overall), slices: slices(am) } : null,
    probe: probe ? probeCard(probe) : null,
    gate,
  };
  await writeFile(`${cardPath}.tmp`, `${JSON.stringify(card, null, 2)}\n`);
  await rename(`${cardPath}.tmp`, cardPath);
  return {
    state: "succeeded",
    metrics: {
      "candidate release": staged.id,
      "unseen pairs": held.unseenPairs,
      ...flatMetrics(cm.overall),
      ...flatMetrics(gateSet(cm), "unseen "),
      ...(cm.slices[SLICES.tail] ? { "tail recall@100": cm.slices[SLICES.tail]!.recall[100] ?? null } : {}),
      ...(am ? { ...flatMetrics(am.overall, "active "), ...flatMetrics(gateSet(am), "active unseen ") } : {}),
      ...(probe ? { "probe acc": probe.published?.accuracy ?? null, "probe acc title masked": probe.titleMasked?.accuracy ?? null, "probe majority": probe.published?.majority ?? null } : {}),
    },
    gate,
  };
}

/** Publish the exported model (or the hash encoder when none was exported) as a release. */
async function publishCandidate(ctx: StageContext, activate: boolean) {
  const { publishRelease, publishTrainedModel } = await import("../../lancedb/index.ts");
  const stages = ["catalog", "vectors", "items", "index", "blend", "qids", "lexicon", "activate"];
  const opts = {
    dataDir: ctx.paths.dataDir,
    ...(ctx.config.publish?.topK ? { topK: ctx.config.publish.topK } : {}),
    ...(ctx.config.publish?.prior === false ? { prior: false } : {}),
    activate,
    // A job has trained for minutes: wait for another writer (a CLI publish, an activate) rather than fail.
    waitForWriterMs: 10 * 60_000,
    onProgress: (p: PublishProgress) =>
      ctx.report({ done: stages.indexOf(p.stage), total: stages.length, unit: "publish steps", rate: null, detail: { step: p.stage, [p.stage]: `${p.done}/${p.total}` } }),
  };
  if (existsSync(join(ctx.paths.modelDir, "model.json"))) {
    const { onnxLoaders } = await import("../../encoders/index.ts");
    return publishTrainedModel({ ...opts, modelDir: ctx.paths.modelDir, onnx: onnxLoaders });
  }
  ctx.log(`no exported model in ${ctx.paths.modelDir}: publishing with the lexical hash encoder`);
  return publishRelease({ ...opts, encoder: createHashEncoder() });
}

async function publish(ctx: StageContext): Promise<StageOutcome> {
  const gate = ctx.gate;
  if (gate && !gate.passed && !gate.forced) {
    const kept = gate.candidateRelease ? `; the candidate stays as inactive ${gate.candidateRelease} (\`vitrine releases activate ${gate.candidateRelease}\` serves it anyway)` : "";
    ctx.log(`publish skipped: the eval gate refused the model (${gate.message})${kept}`);
    return { state: "skipped", metrics: { published: "no", reason: gate.message, ...(gate.candidateRelease ? { "candidate release": gate.candidateRelease } : {}) } };
  }
  const { edgeForPublish, edgeKvFromFlags, listReleases, pushReleaseToEdge, switchRelease } = await import("../../lancedb/index.ts");
  const dataDir = ctx.paths.dataDir;
  const activate = ctx.config.publish?.activate ?? true;
  // Decided before publishing, so a missing credential fails in a second: publish.edge true pushes
  // (credentials from the API's environment), false leaves the edge alone, and absent follows the
  // data directory — an edge it has must follow an activation, or the stage refuses now.
  const mode = ctx.config.publish?.edge;
  const skipHint = 'set "publish": { "edge": false } in the job config';
  const kv = await edgeForPublish(dataDir, mode === false ? null : edgeKvFromFlags({}, process.env, mode === true ? "publish.edge" : undefined), mode, activate, skipHint);
  const onProgress = (p: { stage: string; done: number; total: number }) =>
    ctx.report({ done: p.done, total: Math.max(1, p.total), unit: "edge keys", rate: null, detail: { step: `edge ${p.stage}` } });
  let info;
  let edgeMoved = false;
  let edgeLists: number | null = null;
  if (gate?.candidateRelease && activate) {
    // The eval stage staged it: activating is one pointer write at the origin, and one at the edge.
    const r = await switchRelease({ dataDir, action: { activate: gate.candidateRelease }, edge: { kv, skip: kv === null, skipHint }, onEdgeProgress: onProgress });
    info = r.release;
    edgeMoved = r.edge !== null;
    edgeLists = r.edge?.pushed?.qids ?? null;
  } else {
    info = gate?.candidateRelease ? (await listReleases(dataDir)).find((r) => r.id === gate.candidateRelease)! : await publishCandidate(ctx, activate);
    if (kv) {
      const pushed = await pushReleaseToEdge({ dataDir, writer: kv, release: info.id, flip: info.active, onProgress });
      edgeMoved = pushed.flipped;
      edgeLists = pushed.qids;
    }
  }
  const metrics: Record<string, string | number> = { release: info.id, items: info.items, qids: info.qids, model: info.model, active: info.active ? "yes" : "no" };
  if (kv) {
    ctx.log(`edge: ${edgeLists !== null ? `pushed ${edgeLists} qid lists of ${info.id}` : `${info.id} was already in KV`}${edgeMoved ? ", edge pointer moved" : ""}`);
    Object.assign(metrics, { ...(edgeLists !== null ? { "edge qid lists": edgeLists } : {}), "edge pointer": edgeMoved ? info.id : "unchanged" });
  }
  return { state: "succeeded", metrics, release: info.id };
}

/** The stage functions by name. */
export const STAGES: Record<StageName, (ctx: StageContext) => Promise<StageOutcome>> = {
  pretrain,
  finetune,
  export: exportStage,
  embed,
  eval: evalStage,
  publish,
};
