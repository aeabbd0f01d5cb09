// `vitrine job-run --job DIR [--resume]`: the process a job runs in (started by the API's job
// manager, locally or inside the GPU container). Reads DIR/job.json, runs the kind's stages in
// order and reports them as event lines on stdout (core/jobs/protocol.ts). DIR/state.json records
// every finished stage, so a resumed job skips them and continues training from its checkpoints.
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { runVerb } from "../../core/cli/index.ts";
import { JOB_RUN } from "../../core/cli/verbs/index.ts";
import { encodeEvent, JOB_STAGES, JobConfigSchema, type ChildEvent, type GateDecision, type JobProgress, type JobRecord, type StageName } from "../../core/jobs/index.ts";
import { STAGES, type StageContext, type StagePaths } from "./stages.ts";
import { dataDirOf, localDir } from "../../lancedb/index.ts";

/** What the job process keeps for itself across attempts. */
interface ChildState {
  stages: Partial<Record<StageName, { state: "succeeded" | "skipped"; metrics: Record<string, number | string | null> }>>;
  gate: GateDecision | null;
}

const send = (e: ChildEvent) => process.stdout.write(`${encodeEvent(e)}\n`);

async function readState(path: string): Promise<ChildState> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as ChildState;
  } catch {
    return { stages: {}, gate: null };
  }
}

async function writeState(path: string, s: ChildState): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(s, null, 2));
  await rename(`${path}.tmp`, path);
}

/** Paths of a job: retrain keeps its runs inside the job folder; single-stage jobs use the CLI's defaults. */
export function stagePaths(job: Pick<JobRecord, "kind">, jobDirPath: string, dataDir: string): StagePaths {
  if (job.kind === "retrain") {
    return { dataDir, pretrainDir: join(jobDirPath, "pretrain"), finetuneDir: join(jobDirPath, "finetune"), modelDir: join(jobDirPath, "model") };
  }
  const local = localDir(dataDir); // an s3:// store keeps runs and the model on this machine's disk
  return { dataDir, pretrainDir: join(local, "runs", "pretrain"), finetuneDir: join(local, "runs", "finetune"), modelDir: join(local, "model") };
}

/** Run the job in DIR; resolves to the exit code. Flags: core/cli/verbs/job-run.ts. */
export function jobRunCommand(argv: string[]): Promise<number> {
  return runVerb(JOB_RUN, argv, ({ values }) => runJob(values.job, values.resume), { env: process.env });
}

async function runJob(jobDir: string, resumeFlag: boolean): Promise<number> {
  const dir = resolve(jobDir);
  const job = JSON.parse(await readFile(join(dir, "job.json"), "utf8")) as JobRecord;
  const config = JobConfigSchema.parse(job.config ?? {});
  // <dataDir>/jobs/<id>: the data directory is two levels up (the same path inside a container), or
  // for an s3:// store, the store that folder names (its local working folder).
  const dataDir = await dataDirOf(dirname(dirname(dir)));
  const paths = stagePaths(job, dir, dataDir);
  const statePath = join(dir, "state.json");
  const state = await readState(statePath);
  // Whoever started us owns our stdin: when it closes, the API is gone, and so are we.
  const orphaned = () => process.exit(137);
  const watchParent = !process.stdin.isTTY;
  if (watchParent) {
    process.stdin.on("end", orphaned);
    process.stdin.on("error", orphaned);
    process.stdin.resume();
  }
  try {
    return await runStages(job, ctx0(), statePath, state);
  } finally {
    if (watchParent) {
      process.stdin.off("end", orphaned);
      process.stdin.off("error", orphaned);
      process.stdin.destroy();
    }
  }

  function ctx0(): StageContext {
    return {
      paths,
      config,
      resume: resumeFlag || existsSync(statePath),
      gate: state.gate,
      log: (line) => console.error(line),
      report: () => undefined,
    };
  }
}

async function runStages(job: JobRecord, ctx: StageContext, statePath: string, state: ChildState): Promise<number> {
  let lastProgress = 0;
  for (const stage of JOB_STAGES[job.kind]) {
    const done = state.stages[stage];
    if (done) {
      console.error(`${stage}: already ${done.state} in an earlier attempt; skipped`);
      send({ t: "stage", stage, state: done.state, metrics: done.metrics });
      continue;
    }
    send({ t: "stage", stage, state: "running" });
    console.error(`▸ ${stage}`);
    ctx.report = (p: Omit<JobProgress, "stage">) => {
      // At most ~5 reports a second, and always the last one of a stage.
      const now = Date.now();
      if (now - lastProgress < 200 && p.done < p.total) return;
      lastProgress = now;
      send({ t: "progress", progress: { stage, ...p } });
    };
    try {
      const out = await STAGES[stage](ctx);
      if (out.gate) {
        state.gate = out.gate;
        ctx.gate = out.gate;
        send({ t: "gate", gate: out.gate });
      }
      if (out.release) send({ t: "release", release: out.release });
      state.stages[stage] = { state: out.state, metrics: out.metrics };
      await writeState(statePath, state);
      send({ t: "stage", stage, state: out.state, metrics: out.metrics });
    } catch (e) {
      const err = e as Error & { code?: string };
      console.error(`${stage} failed: ${err.code ? `${err.code}: ` : ""}${err.message}`);
      if (process.env.VITRINE_DEBUG) console.error(err.stack);
      send({ t: "stage", stage, state: "failed" });
      return 1;
    }
  }
  return 0;
}
