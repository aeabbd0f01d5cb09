import { existsSync } from "node:fs";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { SPLIT_MODES, type SplitMode } from "../core/index.ts";
import { importData, type ImportOptions } from "./import-data.ts";
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

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number ≥ 0, got "${v}"`);
  return n;
}

class UsageError extends Error {}

/** `vitrine import`: parse flags, run the import with a progress bar, print the summary. */
export async function importCommand(argv: string[]): Promise<number> {
  let opts: ImportOptions;
  try {
    opts = parseImportArgs(argv);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`vitrine import: ${(e as Error).message}\n(see vitrine import --help)`);
      return 2;
    }
    throw e;
  }
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
    console.log(formatSummary(summary, join(opts.out, "rejects.jsonl")));
    return 0;
  } finally {
    bar.stop();
  }
}

function parseImportArgs(argv: string[]): ImportOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      catalog: { type: "string" },
      clicks: { type: "string" },
      "eval-clicks": { type: "string" },
      judgments: { type: "string" },
      dataset: { type: "string" },
      out: { type: "string" },
      "eval-fraction": { type: "string" },
      split: { type: "string" },
      seed: { type: "string" },
      "no-images": { type: "boolean" },
      "cache-dir": { type: "string" },
      "image-size": { type: "string" },
      "timeout-ms": { type: "string" },
      retries: { type: "string" },
      concurrency: { type: "string" },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!values.out) throw new UsageError("--out DIR is required (the data directory to import into)");
  let { catalog, clicks, judgments } = values;
  let evalClicks = values["eval-clicks"];
  if (values.dataset) {
    const d = values.dataset;
    const pick = (name: string) => (existsSync(join(d, name)) ? join(d, name) : undefined);
    catalog ??= pick("catalog.jsonl");
    clicks ??= pick("clicks.jsonl");
    evalClicks ??= pick("clicks-eval.jsonl");
    judgments ??= pick("judgments.jsonl");
    if (!catalog) throw new UsageError(`--dataset ${d} has no catalog.jsonl; generate one with \`vitrine datasets demo --out ${d}\``);
  }
  if (!catalog) throw new UsageError("--catalog FILE is required (or --dataset DIR)");
  const evalFraction = values["eval-fraction"] === undefined ? undefined : Number(values["eval-fraction"]);
  if (evalFraction !== undefined && !(evalFraction >= 0 && evalFraction < 1)) throw new UsageError(`--eval-fraction must be in [0, 1), got "${values["eval-fraction"]}"`);
  const split = values.split;
  if (split !== undefined && !(SPLIT_MODES as readonly string[]).includes(split)) {
    throw new UsageError(`--split must be one of ${SPLIT_MODES.join(", ")}, got "${split}" (pair: no held-out (query, item) pair occurs in training)`);
  }
  if (split !== undefined && evalClicks) throw new UsageError("--split applies when held-out clicks are split off --clicks; it cannot be combined with --eval-clicks FILE");
  const size = intFlag(values["image-size"], "image-size");
  if (size !== undefined && (size < 4 || size % 4 !== 0)) throw new UsageError(`--image-size must be a multiple of 4 (the patch grid), got ${size}`);
  const imageOptions: NonNullable<ImportOptions["imageOptions"]> = {};
  if (size !== undefined) imageOptions.size = size;
  const t = intFlag(values["timeout-ms"], "timeout-ms");
  if (t !== undefined) imageOptions.timeoutMs = t;
  const r = intFlag(values.retries, "retries");
  if (r !== undefined) imageOptions.retries = r;
  const c = intFlag(values.concurrency, "concurrency");
  if (c !== undefined) imageOptions.concurrency = Math.max(1, c);
  return {
    catalog,
    out: values.out,
    ...(clicks ? { clicks } : {}),
    ...(evalClicks ? { evalClicks } : {}),
    ...(judgments ? { judgments } : {}),
    ...(evalFraction !== undefined ? { evalFraction } : {}),
    ...(split !== undefined ? { split: split as SplitMode } : {}),
    ...(values.seed !== undefined ? { seed: intFlag(values.seed, "seed")! } : {}),
    ...(values["no-images"] ? { images: false } : {}),
    ...(values["cache-dir"] ? { cacheDir: values["cache-dir"] } : {}),
    imageOptions,
  };
}
