// A job on a terminal: one progress bar per stage while it runs (from jobs.watch events, local or
// through the SDK alike), then the eval table and the gate's decision.
import cliProgress from "cli-progress";
import type { JobRecord } from "../../core/jobs/index.ts";
import type { JobEvent } from "./types.ts";

/** Options of showJob. */
export interface ShowJobOptions {
  /** Where bars and lines go (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Print the job's log lines too (default false: stages and progress only). */
  logs?: boolean;
}

/** Render a job's events until it ends; resolves to its final record. */
export async function showJob(events: AsyncIterable<JobEvent>, opts: ShowJobOptions = {}): Promise<JobRecord> {
  const out = opts.stream ?? process.stderr;
  let bar: cliProgress.SingleBar | null = null;
  let barStage: string | null = null;
  let last: JobRecord | null = null;
  const announced = new Set<string>();
  const stopBar = () => {
    bar?.stop();
    bar = null;
    barStage = null;
  };
  for await (const e of events) {
    last = e.job;
    if (e.type === "log" && opts.logs && e.line !== undefined) {
      if (bar) out.write("\n");
      out.write(`  ${e.line}\n`);
      continue;
    }
    for (const s of e.job.stages) {
      const key = `${s.name}:${s.state}`;
      if (s.state === "pending" || s.state === "running" || announced.has(key)) continue;
      announced.add(key);
      if (barStage === s.name) stopBar();
      out.write(`  ${s.state === "succeeded" ? "✓" : s.state === "skipped" ? "–" : "✗"} ${s.name} ${s.state}${summary(s.metrics)}\n`);
    }
    const p = e.job.progress;
    if (p && e.job.state === "running" && e.job.stages.find((s) => s.name === p.stage)?.state === "running") {
      if (barStage !== p.stage) {
        stopBar();
        barStage = p.stage;
        bar = new cliProgress.SingleBar(
          { format: ` ${p.stage.padEnd(8)} [{bar}] {value}/{total} {unit}  {extra}`, stream: out, hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 10_000 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(1, p.total), p.done, { unit: p.unit, extra: "" });
      }
      const extra = [p.rate !== null ? `${p.rate.toFixed(p.rate < 10 ? 1 : 0)} ${p.unit === "steps" ? "samples" : p.unit}/s` : "", ...Object.entries(p.detail).map(([k, v]) => `${k} ${v}`)]
        .filter(Boolean)
        .join("  ");
      bar!.setTotal(Math.max(1, p.total));
      bar!.update(p.done, { unit: p.unit, extra });
    }
  }
  stopBar();
  if (!last) throw new Error("the job stream ended without a single event");
  return last;
}

function summary(m: Record<string, number | string | null>): string {
  const keep = ["loss", "heldout hitrate@10 after", "items/s", "recall@100", "release", "parity max abs diff"];
  const parts = keep.filter((k) => m[k] !== undefined && m[k] !== null).map((k) => `${k} ${fmt(m[k]!)}`);
  return parts.length ? `  (${parts.join(", ")})` : "";
}

const fmt = (v: number | string) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-2 ? v.toExponential(1) : v.toFixed(3)) : v);

/** The eval stage's numbers as a table: candidate vs the active release, unseen pairs first (what the gate decides on). */
export function evalTable(job: JobRecord): string | null {
  const m = job.stages.find((s) => s.name === "eval")?.metrics;
  if (!m || m["recall@100"] === undefined) return null;
  const rows = ["unseen ndcg@10", "unseen recall@10", "unseen recall@100", "unseen hitrate@10", "ndcg@10", "recall@10", "recall@100", "recall@200", "hitrate@10"];
  const hasActive = m["active recall@100"] !== undefined;
  const pct = (v: number | string | null | undefined) => (typeof v === "number" ? (100 * v).toFixed(1) : "-");
  const label = (r: string) => (r.startsWith("unseen ") ? `${r.slice(7)}, unseen pairs` : `${r}, all test pairs`);
  const head = `| metric (held-out test half, %) | new model${m["candidate release"] ? ` ${m["candidate release"]}` : ""} |${hasActive ? ` active ${job.gate?.activeRelease ?? ""} |` : ""}`;
  const sep = `| --- | ---: |${hasActive ? " ---: |" : ""}`;
  const body = rows.filter((r) => m[r] !== undefined).map((r) => `| ${label(r)} | ${pct(m[r])} |${hasActive ? ` ${pct(m[`active ${r}`])} |` : ""}`);
  return [head, sep, ...body, "", `${m.queries ?? "?"} test queries, ${m["unseen pairs"] ?? "?"} unseen pairs.${job.gate ? ` Gate: ${job.gate.message}` : ""}`].join("\n");
}
