// `vitrine demo` (what `npm start` runs): generate the demo shop if absent, import it, publish a
// lexical baseline release and serve it at once, then retrain (pretrain → finetune → export →
// embed → eval → publish) as a job of the running API, with progress bars, and print the eval
// table and how to call the API. Each step is skipped when its output exists: a second run reuses
// the trained release and serves in seconds; an interrupted retrain is resumed.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runVerb, type ArgsOf } from "../core/cli/index.ts";
import { DEMO } from "../core/cli/verbs/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { generateDataset } from "../datasets/index.ts";
import { formatSummary, importData } from "../ingest/index.ts";
import { getActiveRelease, publishRelease, readImportManifest } from "../lancedb/index.ts";
import { demoKeysEnv, loadOrCreateDemoKeys, type DemoKeys } from "./demo-keys.ts";

const step = (msg: string) => console.error(`\n▸ ${msg}`);

/** Run the demo end to end; resolves when the server stops. Flags: core/cli/verbs/demo.ts. */
export function demoCommand(argv: string[]): Promise<number> {
  return runVerb(DEMO, argv, ({ values }) => demo(values), { env: process.env });
}

async function demo(values: ArgsOf<typeof DEMO>["values"]): Promise<number> {
  const root = resolve(values.data);
  const src = join(root, "source");
  const data = join(root, "data");
  const items = values.items;

  if (existsSync(join(src, "dataset.json"))) step(`demo dataset: reusing ${src}`);
  else {
    step(`generating the demo shop into ${src}`);
    let last = 0;
    const m = await generateDataset("demo", {
      out: src,
      ...(items ? { items } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      onProgress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (pct >= last + 10 || done === total) {
          last = pct;
          process.stderr.write(`  images ${done}/${total}\n`);
        }
      },
    });
    console.error(`  ${m.counts.items} items, ${m.counts.clicks} training clicks, ${m.counts.clicksEval} eval clicks`);
  }

  const imported = await readImportManifest(data).then(
    () => true,
    () => false,
  );
  if (imported) step(`import: reusing ${data}`);
  else {
    step(`importing into ${data}`);
    const summary = await importData({
      catalog: join(src, "catalog.jsonl"),
      clicks: join(src, "clicks.jsonl"),
      evalClicks: join(src, "clicks-eval.jsonl"),
      judgments: join(src, "judgments.jsonl"),
      out: data,
    });
    console.error(formatSummary(summary, join(data, "rejects.jsonl")));
  }

  const active = await getActiveRelease(data);
  if (active) step(`release: serving ${active.id} (${active.items} items, model ${active.model})`);
  else {
    step("publishing a baseline release (lexical hash encoder) to serve while the towers train");
    const info = await publishRelease({
      dataDir: data,
      encoder: createHashEncoder(),
      onProgress: (p) => {
        if (p.done === p.total) process.stderr.write(`  ${p.stage} done\n`);
      },
    });
    console.error(`  ${info.id}: ${info.items} items, ${info.qids} precomputed queries, index ${info.index.kind}`);
  }

  // Keys the printed snippets keep working with across restarts (unless the caller brings its own).
  let keys: DemoKeys | null = null;
  if (!process.env.VITRINE_API_KEYS?.trim()) {
    await mkdir(root, { recursive: true });
    const k = await loadOrCreateDemoKeys(root);
    keys = k.keys;
    if (k.replaced) step(`API keys: ${k.path} was unusable (${k.replaced}); wrote new ones`);
    else step(k.created ? `API keys: generated into ${k.path} (mode 0600; later starts reuse them)` : `API keys: reusing ${k.path}`);
  }

  step(`serving on port ${values.port}`);
  const { serveCommand } = await import("../api/cli.ts");
  const { trainAndReport } = await import("./demo-train.ts");
  const train = values["no-train"] ? null : { preset: values.preset, force: values.retrain };
  // Request and job logs stay quiet under the progress bars unless asked for.
  const env = { VITRINE_LOG_LEVEL: "warn", ...process.env, ...(keys ? { VITRINE_API_KEYS: demoKeysEnv(keys) } : {}) };
  return serveCommand(["--data", data, "--port", String(values.port)], env, {
    ...(keys ? { displayKey: keys.read } : {}),
    onListening: (ctx) => trainAndReport(ctx, train, keys),
  });
}
