// `vitrine datasets <demo|fashion-mnist> --out DIR …`: argument parsing, progress and summary.
import { parseArgs } from "node:util";
import { DatasetError } from "./errors.ts";
import { DATASET_NAMES, DEFAULT_ITEMS, DEFAULT_SEED, DEFAULT_TITLE_ATTR_RATE, FASHION_MNIST_DIR, generateDataset } from "./index.ts";
import type { DatasetName, DatasetOptions } from "./types.ts";

/** Where the command writes; tests pass their own. */
export interface CliIo {
  /** Normal output (help, summary). */
  stdout: { write(s: string): unknown };
  /** Progress and errors. */
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

export const DATASETS_HELP = `Usage: vitrine datasets <demo|fashion-mnist> --out DIR [options]

Generate a built-in dataset in the same formats as your own data
(catalog.jsonl, images/, clicks.jsonl, clicks-eval.jsonl, judgments.jsonl, truth.jsonl,
queries.jsonl, dataset.json). Same seed and options give byte-identical files.

Datasets:
  demo             generated shop: garments rendered in colours and patterns (default ${DEFAULT_ITEMS.demo} items)
  fashion-mnist    real Zalando images from Debian's dataset-fashion-mnist (default ${DEFAULT_ITEMS["fashion-mnist"]} items)

Options:
  --out DIR              output folder (required; new, empty, or a previous dataset)
  --seed N               random seed, integer 0..4294967295 (default ${DEFAULT_SEED})
  --items N              number of catalog items
  --clicks N             training click rows (default 7.5 per item; eval log is 12% of it)
  --title-attr-rate X    share of titles naming colour/pattern (demo) or type (fashion-mnist), 0..1 (default ${DEFAULT_TITLE_ATTR_RATE})
  --source DIR           fashion-mnist files (default ${FASHION_MNIST_DIR})
  -h, --help             show this help
`;

class UsageError extends Error {}

function integerFlag(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer in ${min}..${max}, got "${value}"`);
  }
  return n;
}

/** Parses argv (the words after the verb) into a dataset name and options; throws UsageError on bad input. */
function parse(argv: string[]): { help: true } | { help: false; name: DatasetName; options: DatasetOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: "string" },
        seed: { type: "string" },
        items: { type: "string" },
        clicks: { type: "string" },
        "title-attr-rate": { type: "string" },
        source: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError(`name a dataset: ${DATASET_NAMES.join(" or ")}`);
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown dataset "${name}"; choose ${DATASET_NAMES.join(" or ")}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.out) throw new UsageError("--out DIR is required");
  const rateText = values["title-attr-rate"];
  let titleAttrRate: number | undefined;
  if (rateText !== undefined) {
    titleAttrRate = Number(rateText);
    if (rateText.trim() === "" || !(titleAttrRate >= 0 && titleAttrRate <= 1)) {
      throw new UsageError(`--title-attr-rate must be a number in 0..1, got "${rateText}"`);
    }
  }
  const options: DatasetOptions = { out: values.out };
  const seed = integerFlag("seed", values.seed, 0, 0xffffffff);
  const items = integerFlag("items", values.items, 1);
  const clicks = integerFlag("clicks", values.clicks, 0);
  if (seed !== undefined) options.seed = seed;
  if (items !== undefined) options.items = items;
  if (clicks !== undefined) options.clicks = clicks;
  if (titleAttrRate !== undefined) options.titleAttrRate = titleAttrRate;
  if (values.source !== undefined) options.sourceDir = values.source;
  return { help: false, name: name as DatasetName, options };
}

/** Progress on stderr: an in-place line on a terminal, a line per 10% otherwise. */
function progressPrinter(io: CliIo): (done: number, total: number) => void {
  let lastPct = -1;
  let lastDraw = 0;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (io.stderr.isTTY) {
      const now = Date.now();
      if (done !== total && now - lastDraw < 100) return;
      lastDraw = now;
      io.stderr.write(`\rimages ${done}/${total} (${pct}%)${done === total ? "\n" : ""}`);
    } else if (pct >= lastPct + 10 || (done === total && pct !== lastPct)) {
      lastPct = pct - (pct % 10);
      io.stderr.write(`images ${done}/${total} (${pct}%)\n`);
    }
  };
}

/** Runs the datasets command; returns the exit code (0 ok, 1 generation failed, 2 bad usage). */
export async function datasetsCommand(argv: string[], io: CliIo = process): Promise<number> {
  let cmd;
  try {
    cmd = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`vitrine datasets: ${err.message}\nRun "vitrine datasets --help" for usage.\n`);
    return 2;
  }
  if (cmd.help) {
    io.stdout.write(DATASETS_HELP);
    return 0;
  }
  const started = Date.now();
  try {
    const m = await generateDataset(cmd.name, { ...cmd.options, onProgress: progressPrinter(io) });
    const rows: [string, number | string][] = [
      ["items", m.counts.items],
      ["images", m.counts.imagesWritten],
      ["clicks (train)", m.counts.clicks],
      ["clicks (eval)", m.counts.clicksEval],
      ["queries", m.counts.queries],
      ["judgments", m.counts.judgments],
      ["seconds", ((Date.now() - started) / 1000).toFixed(1)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    io.stdout.write(`${m.name} (seed ${m.seed}) → ${cmd.options.out}\n`);
    for (const [k, v] of rows) io.stdout.write(`  ${k.padEnd(width)}  ${String(v).padStart(8)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DatasetError) {
      io.stderr.write(`vitrine datasets: ${err.message}\n`);
      return err.code === "BAD_OPTION" || err.code === "UNKNOWN_DATASET" ? 2 : 1;
    }
    throw err;
  }
}
