import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Folder where benchmarks keep generated data between runs (ignored by git). */
export const BENCH_DATA = join(process.cwd(), ".data", "bench");

/** Print an aligned table: first column left, others right-aligned. */
export function printTable(head: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  console.log(line(head));
  console.log(line(w.map((n) => "-".repeat(n))));
  for (const r of cells) console.log(line(r));
}

/** Write a benchmark's results as JSON under bench/results/. */
export async function writeResults(name: string, data: unknown): Promise<string> {
  const dir = join(process.cwd(), "bench", "results");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify({ bench: name, at: new Date().toISOString(), node: process.version, ...(data as object) }, null, 2)}\n`);
  return path;
}

/** Percentile of a sample (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** A stage timer for data builders: runs `f`, records its seconds under `label` in `seconds`, logs the line. */
export function stageTimer(seconds: Record<string, number>, log: (line: string) => void) {
  return async <T>(label: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    const v = await f();
    seconds[label] = (performance.now() - t) / 1000;
    log(`  ${label}: ${seconds[label]!.toFixed(1)} s`);
    return v;
  };
}
