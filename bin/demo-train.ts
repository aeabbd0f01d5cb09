// The training half of `vitrine demo`: once the API listens, run (or resume, or reuse) a retrain
// job through the API's own job manager — so an app can watch it with jobs.watch too — show its
// progress bars, then the eval table and how to call the API.
import type { ServingContext } from "../api/cli.ts";
import { evalTable, showJob } from "../api/jobs/index.ts";
import type { JobRecord } from "../core/jobs/index.ts";
import type { DemoKeys } from "./demo-keys.ts";

/** What to train; null: serve only. */
export interface DemoTraining {
  /** Model preset for the retrain. */
  preset: "tiny" | "cpu" | "base";
  /** Retrain even when an earlier retrain finished. */
  force: boolean;
}

const step = (msg: string) => console.error(`\n▸ ${msg}`);

function howToCall(ctx: ServingContext, keys: DemoKeys | null): string {
  // The demo's keys (kept in the demo folder) when it made them; else the caller configured its own.
  const read = keys?.read ?? "$VITRINE_KEY";
  const admin = keys?.admin ?? "$VITRINE_KEY";
  return [
    `ready: ${ctx.url}`,
    `  curl -s ${ctx.url}/v1/retrieve -H 'authorization: Bearer ${read}' -H 'content-type: application/json' -d '{"query":"red floral dress","k":5}'`,
    `  playground: ${ctx.url}/playground (paste the read key; the admin key also retrains from there)   docs: ${ctx.url}/docs`,
    "  SDK (npm pack -w sdk, then npm install ./vitrine-sdk-0.1.0.tgz in your app):",
    `    import { createClient } from "@vitrine/sdk";`,
    `    const vitrine = createClient({ url: "${ctx.url}", apiKey: "${read}" }); // read key: retrieve, lookup, items`,
    `    const { items, path, release } = await vitrine.retrieve("red floral dress", { k: 5, filters: { brand: "Luma" } });`,
    `    const ops = createClient({ url: "${ctx.url}", apiKey: "${admin}" }); // admin key: jobs, releases`,
    `    for await (const e of ops.jobs.watch((await ops.jobs.trigger({ kind: "retrain" })).id)) console.log(e.job.state, e.job.progress);`,
    ...(keys ? ["  the keys are kept in the demo folder (keys.json) and reused by the next npm start; delete it for new ones"] : []),
    "  Ctrl-C stops the server (a running retrain is resumed by the next start).",
  ].join("\n");
}

/** Train (unless asked not to), then print the eval table and the ready lines. */
export async function trainAndReport(ctx: ServingContext, training: DemoTraining | null, keys: DemoKeys | null = null): Promise<void> {
  if (!training || !ctx.jobs) {
    console.error(`\n${howToCall(ctx, keys)}`);
    return;
  }
  const jobs = ctx.jobs;
  const retrains = (await jobs.list({ limit: 1000 })).filter((j) => j.kind === "retrain");
  const last = retrains[0];
  let job: JobRecord;
  if (last && (last.state === "queued" || last.state === "running")) {
    step(`retrain ${last.id} is already ${last.state}; watching it`);
    job = last;
  } else if (last?.state === "succeeded" && !training.force) {
    step(`trained model: reusing retrain ${last.id} (finished ${last.finishedAt}; --retrain trains again)`);
    const table = evalTable(last);
    if (table) console.log(`\n${table}`);
    console.error(`\n${howToCall(ctx, keys)}`);
    return;
  } else if (last?.resumable && !training.force) {
    step(`resuming retrain ${last.id} (${last.state}: ${last.error ?? ""})`);
    job = await jobs.resume(last.id);
  } else {
    step(`retraining with the ${training.preset} preset: pretrain → ${training.preset === "cpu" ? "" : "finetune → "}export → embed → eval → publish`);
    if (training.preset === "cpu") console.error("  about 5 minutes on 2 idle cores (up to 15 beside other work); the baseline release answers meanwhile (try the curl line below)");
    console.error(`\n${howToCall(ctx, keys)}\n`);
    job = await jobs.trigger("retrain", { preset: training.preset }, "demo");
    console.error(`  job ${job.id}: records and log in ${ctx.dataDir}/jobs/${job.id}`);
  }
  const final = await showJob(jobs.watch(job.id));
  const table = evalTable(final);
  if (table) console.log(`\n${table}`);
  if (final.state !== "succeeded") {
    console.error(`\nretrain ${final.id} ${final.state}: ${final.error ?? ""}; the baseline release keeps serving. Log: ${ctx.dataDir}/jobs/${final.id}/log.txt`);
  } else if (final.release) {
    // The server picks a new release up by polling its pointer: say "answer now" once it does.
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const h = (await (await fetch(`${ctx.url}/healthz`)).json().catch(() => ({}))) as { release?: string };
      if (h.release === final.release) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.error(`\npublished ${final.release}: the trained towers answer now.`);
  } else {
    console.error(`\nnot published (${final.gate?.message ?? "see the job log"}); the baseline release keeps serving.`);
  }
  console.error(`\n${howToCall(ctx, keys)}`);
}
