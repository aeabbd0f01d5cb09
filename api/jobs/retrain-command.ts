// `vitrine retrain --data DIR [--preset cpu] ...`: run the retrain pipeline on this machine through
// the same job manager the API uses (records in DIR/jobs, resumable), with progress bars. Flags and
// help come from the verb's table (core/cli/verbs/retrain.ts).
import { resolve } from "node:path";
import { runVerb, UsageError, type ArgsOf } from "../../core/cli/index.ts";
import { RETRAIN } from "../../core/cli/verbs/index.ts";
import { createJobManager } from "./job-manager.ts";
import { evalTable, showJob } from "./job-view.ts";
import { JobConfigSchema, type JobConfig } from "../../core/jobs/index.ts";
import { createLocalRunner } from "./runners.ts";
import { jobDir } from "./job-store.ts";

/** A retrain config from the parsed flags, validated by the same schema as the API's. */
export function retrainConfigFromFlags(v: ArgsOf<typeof RETRAIN>["values"]): JobConfig {
  const raw: Record<string, unknown> = {};
  if (v.preset) raw.preset = v.preset;
  if (v.backend) raw.backend = v.backend;
  const pretrain: Record<string, unknown> = {};
  if (v.steps !== undefined) pretrain.steps = v.steps;
  if (v.fusion) pretrain.fusion = v.fusion;
  if (v.seed !== undefined) pretrain.seed = v.seed;
  if (v["image-encoder"]) pretrain.imageEncoder = resolve(v["image-encoder"]);
  if (v.workers !== undefined) pretrain.workers = v.workers;
  if (v["stage1-fraction"] !== undefined) pretrain.stage1Fraction = v["stage1-fraction"];
  if (v.stage1) pretrain.stage1 = v.stage1;
  if (v["patch-grid"] !== undefined) pretrain.patchGrid = v["patch-grid"];
  if (v["cnn-channels"]) pretrain.cnnChannels = v["cnn-channels"];
  if (v["title-dropout"] !== undefined) pretrain.titleDropout = v["title-dropout"];
  if (v["image-contrast"] !== undefined) pretrain.imageContrast = v["image-contrast"];
  if (v["global-token"]) pretrain.globalToken = true;
  if (v["global-weight"] !== undefined) pretrain.globalWeight = v["global-weight"];
  if (Object.keys(pretrain).length) raw.pretrain = pretrain;
  if (v["finetune-steps"] !== undefined) raw.finetune = { steps: v["finetune-steps"] };
  const gate: Record<string, unknown> = {};
  if (v["gate-metric"]) gate.metrics = [...new Set(v["gate-metric"])];
  if (v.tolerance !== undefined) gate.tolerance = v.tolerance;
  if (v["min-pairs"] !== undefined) gate.minPairs = v["min-pairs"];
  if (v.force) gate.force = true;
  if (Object.keys(gate).length) raw.gate = gate;
  const r = JobConfigSchema.safeParse(raw);
  if (!r.success) throw new UsageError("BAD_FLAG", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return r.data;
}

/** `vitrine retrain`; resolves to the exit code (0 also when the gate refused: nothing broke). */
export function retrainCommand(argv: string[]): Promise<number> {
  return runVerb(RETRAIN, argv, ({ values }) => retrain(values, retrainConfigFromFlags(values)), { env: process.env });
}

async function retrain(v: ArgsOf<typeof RETRAIN>["values"], config: JobConfig): Promise<number> {
  const manager = await createJobManager({ dataDir: v.data, runner: createLocalRunner() });
  const stop = () => void manager.close();
  process.once("SIGINT", stop);
  try {
    const job = v.resume ? await manager.resume(v.resume) : await manager.trigger("retrain", config, "cli");
    console.error(`vitrine retrain: job ${job.id} (records and log in ${jobDir(v.data, job.id)})`);
    const final = await showJob(manager.watch(job.id), { logs: v.logs });
    const table = evalTable(final);
    if (table) console.log(`\n${table}`);
    if (final.state !== "succeeded") {
      console.error(`\nvitrine retrain: job ${final.id} ${final.state}: ${final.error ?? ""}${final.resumable ? `\n  resume with: vitrine retrain --data ${v.data} --resume ${final.id}` : ""}`);
      return 1;
    }
    console.log(final.release ? `\npublished ${final.release} (active)` : `\nnot published: ${final.gate?.message ?? "see the job log"}`);
    return 0;
  } finally {
    process.off("SIGINT", stop);
    await manager.close();
  }
}
