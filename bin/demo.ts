// `vitrine demo` (what `npm start` runs): generate the demo shop if absent, import it, publish a
// release, and serve it. Each step is skipped when its output already exists, so a second run
// starts serving in seconds. Training (pretrain → finetune → export → embed → eval) joins this
// chain when those verbs exist; until then the release uses the lexical hash baseline encoder.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createHashEncoder } from "../core/index.ts";
import { generateDataset } from "../datasets/index.ts";
import { importData } from "../ingest/import-data.ts";
import { readImportManifest } from "../ingest/manifest.ts";
import { formatSummary } from "../ingest/summary.ts";
import { getActiveRelease, publishRelease } from "../lancedb/index.ts";

const step = (msg: string) => console.error(`\n▸ ${msg}`);

/** Run the demo end to end; resolves when the server stops. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: "string", default: ".vitrine/demo" }, port: { type: "string", default: "8787" }, items: { type: "string" }, seed: { type: "string" } },
  });
  const root = resolve(values.data);
  const src = join(root, "source");
  const data = join(root, "data");
  const items = values.items === undefined ? undefined : Number(values.items);
  if (items !== undefined && !(Number.isInteger(items) && items > 0)) {
    console.error(`vitrine demo: --items must be a positive whole number, got "${values.items}"`);
    return 2;
  }

  if (existsSync(join(src, "dataset.json"))) step(`demo dataset: reusing ${src}`);
  else {
    step(`generating the demo shop into ${src}`);
    let last = 0;
    const m = await generateDataset("demo", {
      out: src,
      ...(items ? { items } : {}),
      ...(values.seed ? { seed: Number(values.seed) } : {}),
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

  const imported = await readImportManifest(data).then(() => true, () => false);
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
    step("publishing a release (hash baseline encoder: the trained towers replace it once training lands)");
    const info = await publishRelease({
      dataDir: data,
      encoder: createHashEncoder(),
      onProgress: (p) => {
        if (p.done === p.total) process.stderr.write(`  ${p.stage} done\n`);
      },
    });
    console.error(`  ${info.id}: ${info.items} items, ${info.qids} precomputed queries, index ${info.index.kind}`);
  }

  step(`serving on port ${values.port}`);
  const { serveCommand } = await import("../api/cli.ts");
  return serveCommand(["--data", data, "--port", values.port]);
}
