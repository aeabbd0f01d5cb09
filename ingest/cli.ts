// `vitrine import`: a progress bar and the summary. Flags and help come from the verb's table
// (core/cli/verbs/import.ts).
import { existsSync } from "node:fs";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { runVerb, UsageError, type ArgsOf } from "../core/cli/index.ts";
import { IMPORT } from "../core/cli/verbs/index.ts";
import { importData, rejectsPath, type ImportOptions } from "./import-data.ts";
import { columnPreset, parseColumnMap } from "./column-map.ts";
import { formatSummary } from "./summary.ts";

/** Count newline-terminated rows cheaply, for the progress bar's total. */
async function countLines(file: string): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of createReadStream(file)) for (const b of chunk as Buffer) if (b === 10) n++;
  } catch {
    return 0; // the import itself reports an unreadable file, with its path and the fix
  }
  return n;
}

/** `vitrine import`: parse flags, run the import with a progress bar, print the summary. */
export function importCommand(argv: string[]): Promise<number> {
  return runVerb(IMPORT, argv, (args) => runImport(importOptions(args)), { env: process.env });
}

async function runImport(opts: ImportOptions): Promise<number> {
  const total = opts.catalog.endsWith(".parquet") ? 0 : await countLines(opts.catalog);
  const bar = new cliProgress.SingleBar(
    { format: " {stage} [{bar}] {value}/{total} rows  {speed} rows/s", stream: process.stderr, hideCursor: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total || 1, 0, { stage: "catalog", speed: 0 });
  try {
    const summary = await importData({
      ...opts,
      onProgress: (p) => {
        const secs = (performance.now() - started) / 1000;
        if (p.stage !== "catalog") bar.setTotal(Math.max(p.done, 1));
        bar.update(p.done, { stage: p.stage, speed: Math.round(p.done / Math.max(secs, 1e-3)) });
      },
    });
    bar.stop();
    console.log(formatSummary(summary, rejectsPath(opts.out)));
    return 0;
  } finally {
    bar.stop();
  }
}

/** The import's options from the parsed flags; the checks the table cannot express. */
function importOptions({ values, given }: ArgsOf<typeof IMPORT>): ImportOptions {
  let { catalog, clicks, judgments } = values;
  let evalClicks = values["eval-clicks"];
  if (values.dataset) {
    const d = values.dataset;
    const pick = (name: string) => (existsSync(join(d, name)) ? join(d, name) : undefined);
    catalog ??= pick("catalog.jsonl");
    clicks ??= pick("clicks.jsonl");
    evalClicks ??= pick("clicks-eval.jsonl");
    judgments ??= pick("judgments.jsonl");
    if (!catalog) throw new UsageError("BAD_FLAG", `--dataset ${d} has no catalog.jsonl; generate one with \`vitrine datasets demo --out ${d}\``);
  }
  if (!catalog) throw new UsageError("MISSING_FLAG", "--catalog FILE is required (or --dataset DIR)");
  if (given.has("split") && evalClicks) {
    throw new UsageError("BAD_FLAG", "--split applies when held-out clicks are split off --clicks; it cannot be combined with --eval-clicks FILE");
  }
  const size = values["image-size"];
  if (size !== undefined && size % 4 !== 0) throw new UsageError("BAD_FLAG", `--image-size must be a multiple of 4 (the patch grid), got ${size}`);
  const imageOptions: NonNullable<ImportOptions["imageOptions"]> = {};
  if (size !== undefined) imageOptions.size = size;
  if (values["timeout-ms"] !== undefined) imageOptions.timeoutMs = values["timeout-ms"];
  if (values.retries !== undefined) imageOptions.retries = values.retries;
  if (values.concurrency !== undefined) imageOptions.concurrency = values.concurrency;
  if (values["allow-private-hosts"]) imageOptions.allowPrivateHosts = true;
  if (values["allow-outside-paths"]) imageOptions.allowOutsidePaths = true;
  const preset = values.columns ? columnPreset(values.columns) : null;
  const byHand = values.map ? parseColumnMap(values.map) : null;
  const columns = preset || byHand ? { columns: { ...preset?.columns, ...byHand?.columns }, ...(preset?.firstOfList ? { firstOfList: preset.firstOfList } : {}) } : null;
  return {
    ...(columns ? { columns } : {}),
    catalog,
    out: values.out,
    ...(clicks ? { clicks } : {}),
    ...(evalClicks ? { evalClicks } : {}),
    ...(judgments ? { judgments } : {}),
    ...(values["eval-fraction"] !== undefined ? { evalFraction: values["eval-fraction"] } : {}),
    ...(values.split !== undefined ? { split: values.split } : {}),
    seed: values.seed,
    ...(values["no-images"] ? { images: false } : {}),
    ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
    imageOptions,
  };
}
