// `vitrine datasets <demo|fashion-mnist> --out DIR …`: progress and summary. Flags and help come
// from the verb's table (core/cli/verbs/datasets.ts).
import { runVerb } from "../core/cli/index.ts";
import { DATASETS } from "../core/cli/verbs/index.ts";
import { generateDataset } from "./index.ts";
import type { DatasetOptions } from "./types.ts";

/** Where the command writes; tests pass their own. */
export interface CliIo {
  /** Normal output (help, summary). */
  stdout: { write(s: string): unknown };
  /** Progress and errors. */
  stderr: { write(s: string): unknown; isTTY?: boolean };
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

/** Runs the datasets command; resolves to the exit code (EXIT_CODES: 2 bad usage, 4 fashion-mnist files missing, ...). */
export async function datasetsCommand(argv: string[], io: CliIo = process): Promise<number> {
  const verbIo = { out: (t: string) => void io.stdout.write(`${t}\n`), err: (t: string) => void io.stderr.write(`${t}\n`), env: process.env };
  return runVerb(
    DATASETS,
    argv,
    async ({ subverb: name, values: v }) => {
      const options: DatasetOptions = { out: v.out, seed: v.seed, titleAttrRate: v["title-attr-rate"] };
      if (v.items !== undefined) options.items = v.items;
      if (v.clicks !== undefined) options.clicks = v.clicks;
      if (name === "fashion-mnist") options.sourceDir = v.source;
      const started = Date.now();
      const m = await generateDataset(name, { ...options, onProgress: progressPrinter(io) });
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
      io.stdout.write(`${m.name} (seed ${m.seed}) → ${options.out}\n`);
      for (const [k, val] of rows) io.stdout.write(`  ${k.padEnd(width)}  ${String(val).padStart(8)}\n`);
      return 0;
    },
    verbIo,
  );
}
