// `vitrine retrain --data DIR [--preset cpu] ...`: run the retrain pipeline on this machine through
// the same job manager the API uses (records in DIR/jobs, resumable), with progress bars.
import { parseArgs } from "node:util";
import { createJobManager } from "./job-manager.ts";
import { evalTable, showJob } from "./job-view.ts";
import { JobConfigSchema, type JobConfig } from "../../core/jobs/schemas.ts";
import { createLocalRunner } from "./runners.ts";

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number, got "${v}"`);
  return n;
};

/** Build a retrain config from CLI flags (validated by the same schema as the API's). */
export function retrainConfigFromFlags(v: Record<string, string | string[] | boolean | undefined>): JobConfig {
  const raw: Record<string, unknown> = {};
  if (v.preset) raw.preset = v.preset;
  if (v.backend) raw.backend = v.backend;
  const pretrain: Record<string, unknown> = {};
  if (v.steps !== undefined) pretrain.steps = num(v.steps as string, "steps");
  if (v.fusion) pretrain.fusion = v.fusion;
  if (v.seed !== undefined) pretrain.seed = num(v.seed as string, "seed");
  if (Object.keys(pretrain).length) raw.pretrain = pretrain;
  if (v["finetune-steps"] !== undefined) raw.finetune = { steps: num(v["finetune-steps"] as string, "finetune-steps") };
  const gate: Record<string, unknown> = {};
  if (v["gate-metric"]) gate.metrics = [v["gate-metric"]].flat();
  if (v.tolerance !== undefined) gate.tolerance = num(v.tolerance as string, "tolerance");
  if (v["min-pairs"] !== undefined) gate.minPairs = num(v["min-pairs"] as string, "min-pairs");
  if (v.force) gate.force = true;
  if (Object.keys(gate).length) raw.gate = gate;
  const r = JobConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return r.data;
}

/** `vitrine retrain`; resolves to the exit code (0 also when the gate refused: nothing broke). */
export async function retrainCommand(argv: string[]): Promise<number> {
  let v;
  let config: JobConfig;
  try {
    v = parseArgs({
      args: argv,
      options: {
        data: { type: "string" }, preset: { type: "string" }, steps: { type: "string" }, fusion: { type: "string" }, seed: { type: "string" },
        "finetune-steps": { type: "string" }, "gate-metric": { type: "string", multiple: true }, "min-pairs": { type: "string" }, tolerance: { type: "string" }, force: { type: "boolean" },
        backend: { type: "string" }, resume: { type: "string" }, logs: { type: "boolean" },
      },
    }).values;
    if (!v.data) throw new Error("--data DIR is required (a data directory `vitrine import` wrote)");
    config = retrainConfigFromFlags(v);
  } catch (e) {
    console.error(`vitrine retrain: ${(e as Error).message}\n(see vitrine retrain --help)`);
    return 2;
  }
  const manager = await createJobManager({ dataDir: v.data!, runner: createLocalRunner() });
  const stop = () => void manager.close();
  process.once("SIGINT", stop);
  try {
    const job = v.resume ? await manager.resume(v.resume) : await manager.trigger("retrain", config, "cli");
    console.error(`vitrine retrain: job ${job.id} (records and log in ${v.data}/jobs/${job.id})`);
    const final = await showJob(manager.watch(job.id), { logs: v.logs === true });
    const table = evalTable(final);
    if (table) console.log(`\n${table}`);
    if (final.state !== "succeeded") {
      console.error(`\nvitrine retrain: job ${final.id} ${final.state}: ${final.error ?? ""}${final.resumable ? `\n  resume with: vitrine retrain --data ${v.data} --resume ${final.id}` : ""}`);
      return 1;
    }
    console.log(final.release ? `\npublished ${final.release} (active)` : `\nnot published: ${final.gate?.message ?? "see the job log"}`);
    return 0;
  } catch (e) {
    console.error(`vitrine retrain: ${(e as Error).message}`);
    return 1;
  } finally {
    process.off("SIGINT", stop);
    await manager.close();
  }
}
