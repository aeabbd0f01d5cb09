// Which pre-training run an ablation row can use: a finished run with the same config anywhere
// under DIR/runs is reused as it is; a partial one in the row's own folder is resumed.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PRESETS } from "../model/config.ts";
import type { PretrainConfig } from "../train/pretrain-config.ts";

/** What a run folder's newest checkpoint says, read from its manifest only (no weights). */
export interface RunStatus {
  /** The run folder. */
  dir: string;
  /** Steps done at the newest complete checkpoint. */
  step: number;
  /** The config the run was started with. */
  config: PretrainConfig;
}

/** Where an ablation run comes from. */
export type RunPlan = { kind: "reuse"; dir: string; step: number } | { kind: "resume"; dir: string; step: number } | { kind: "train"; dir: string; replaced: boolean; kept?: string };

/** The newest checkpoint's step and config of a run folder, or null (no run, no tokenizer, unreadable). */
export async function readRunStatus(dir: string): Promise<RunStatus | null> {
  try {
    const name = (await readFile(join(dir, "latest"), "utf8")).trim();
    const manifest = JSON.parse(await readFile(join(dir, name, "manifest.json"), "utf8")) as { step?: unknown; state?: { config?: PretrainConfig } };
    if (typeof manifest.step !== "number" || !manifest.state?.config || !existsSync(join(dir, "tokenizer.json"))) return null;
    return { dir, step: manifest.step, config: manifest.state.config };
  } catch {
    return null;
  }
}

// checkpointEvery changes when checkpoints are written, not what is learned (resume is exact).
const IGNORED = new Set(["checkpointEvery"]);

function canonical(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(canonical);
  if (x && typeof x === "object") {
    return Object.fromEntries(
      Object.entries(x as Record<string, unknown>)
        .filter(([k]) => !IGNORED.has(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return x;
}

/**
 * Whether two configs train the same model (every field but checkpointEvery equal). An absent
 * optional field means its default: a run from before workers existed had one; stage 1 aligned;
 * the patch grid was the import's (always 4: import has no grid flag); the CNN was the preset's;
 * no title dropout; no whole-image token, and a token weighted as one of the image tokens; no image contrast.
 */
export function sameTraining(a: PretrainConfig, b: PretrainConfig): boolean {
  const one = (c: PretrainConfig) =>
    canonical({
      ...c,
      workers: c.workers ?? 1,
      stage1: c.stage1 ?? "align",
      patchGrid: c.patchGrid ?? 4,
      cnnChannels: c.cnnChannels ?? PRESETS[c.preset]?.cnnChannels ?? null,
      titleDropout: c.titleDropout ?? 0,
      imageContrast: c.imageContrast ?? 0,
      globalToken: c.globalToken ?? false,
      globalWeight: c.globalWeight ?? null,
    });
  return JSON.stringify(one(a)) === JSON.stringify(one(b));
}

/** Finished runs under `runsDir` (one level), with their configs. */
export async function listFinishedRuns(runsDir: string): Promise<RunStatus[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  const out: RunStatus[] = [];
  for (const n of names) {
    const s = await readRunStatus(join(runsDir, n));
    if (s && s.step >= s.config.steps) out.push(s);
  }
  return out;
}

/**
 * Decide how to get a finished run of `target` into `dir`: its own finished run, else any finished
 * run with the same config among `finished`, else resume its own partial run, else train afresh.
 * A finished run with another config in `dir` is kept (someone's hours of training, and a row of an
 * older report): the new run goes to the first free `<dir>-N`. Only an unfinished one is replaced.
 */
export async function planRun(dir: string, target: PretrainConfig, finished: readonly RunStatus[]): Promise<RunPlan> {
  const own = await readRunStatus(dir);
  const ownMatches = own !== null && sameTraining(own.config, target);
  if (ownMatches && own.step >= target.steps) return { kind: "reuse", dir, step: own.step };
  const other = finished.find((r) => r.dir !== dir && sameTraining(r.config, target));
  if (other) return { kind: "reuse", dir: other.dir, step: other.step };
  if (ownMatches) return { kind: "resume", dir, step: own.step };
  if (own !== null && own.step >= own.config.steps) {
    for (let n = 2; ; n++) {
      const alt = `${dir}-${n}`;
      const s = await readRunStatus(alt);
      if (s === null && !existsSync(alt)) return { kind: "train", dir: alt, replaced: false, kept: dir };
      if (s !== null && sameTraining(s.config, target)) return { kind: "resume", dir: alt, step: s.step };
    }
  }
  return { kind: "train", dir, replaced: own !== null };
}
