import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolvePretrainConfig, type PretrainConfig } from "../train/pretrain-config.ts";
import { ABLATION_ROWS, selectAblationRows, uniqueRuns } from "./ablation-variants.ts";
import { runTrainJobs } from "./ablation-train.ts";
import { listFinishedRuns, planRun, sameTraining } from "./run-lookup.ts";

let runs: string;
// A run folder as pretrain leaves it, minus the weights (the lookup reads manifests only).
async function fakeRun(name: string, step: number, config: PretrainConfig): Promise<string> {
  const dir = join(runs, name);
  await mkdir(join(dir, `ckpt-${step}`), { recursive: true });
  await writeFile(join(dir, `ckpt-${step}`, "manifest.json"), JSON.stringify({ format: "vitrine-ckpt-v1", step, tensors: [], optimizer: [], state: { config } }));
  await writeFile(join(dir, "latest"), `ckpt-${step}`);
  await writeFile(join(dir, "tokenizer.json"), "{}");
  return dir;
}

beforeAll(async () => {
  runs = await mkdtemp(join(tmpdir(), "vitrine-runs-"));
});
afterAll(async () => {
  await rm(runs, { recursive: true, force: true });
});

describe("ablation rows", () => {
  it("maps the three default-config rows to one run and keeps table order", () => {
    const rows = selectAblationRows("contrastive,in-batch,no-stage1,text,two-stages,both");
    expect(rows.map((r) => r.id)).toEqual(["text", "fusion-no-stage1", "fusion", "in-batch", "both", "mpm-contrastive"]);
    // "in-batch" and "contrastive" are the default config, which is fusion without stage 1 and in-batch negatives only.
    expect(uniqueRuns(rows).map((r) => r.id)).toEqual(["text", "fusion-no-stage1", "fusion", "mbns-cdns"]);
    // 8 + the vision table's grid2, grid4, grid8, global-token, global-half, cnn-wide, cnn-deep, stage1-classify, title-dropout,
    // image-contrast (= grid1-image-contrast on the cpu preset's 1×1 grid), stage1-contrast; grid1 is the default run.
    expect(uniqueRuns(ABLATION_ROWS)).toHaveLength(19);
  });

  it("each negatives row trains the negatives its label names, whatever the defaults", () => {
    const want: Record<string, [boolean, boolean]> = { "in-batch": [false, false], mbns: [true, false], cdns: [false, true], both: [true, true] };
    for (const [id, [mbns, cdns]] of Object.entries(want)) {
      const row = ABLATION_ROWS.find((r) => r.id === id)!;
      const c = resolvePretrainConfig("cpu", row.run.overrides);
      expect([id, c.mbns.enabled, c.cdns.enabled]).toEqual([id, mbns, cdns]);
      // The flags the run is trained with say the same (no flag: the default, which the config then equals).
      const dflt = resolvePretrainConfig("cpu");
      const byFlags = (n: "mbns" | "cdns") => (row.run.flags.includes(`--${n}`) ? true : row.run.flags.includes(`--no-${n}`) ? false : dflt[n].enabled);
      expect([byFlags("mbns"), byFlags("cdns")]).toEqual([mbns, cdns]);
    }
  });

  it("names the flag and the accepted names for an unknown variant", () => {
    expect(() => selectAblationRows("text,nope")).toThrow(/--only: unknown variant "nope" \(one of text, /);
    expect(() => selectAblationRows(" , ")).toThrow(/--only needs at least one/);
  });
});

describe("planRun", () => {
  const cpu = (o = {}) => resolvePretrainConfig("cpu", o);

  it("ignores checkpointEvery but nothing else", () => {
    expect(sameTraining(cpu(), cpu({ checkpointEvery: 7 }))).toBe(true);
    expect(sameTraining(cpu(), cpu({ mbns: { enabled: true } }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ steps: 599 }))).toBe(false);
    // Worker count changes the objective; a run from before workers existed trained on one.
    expect(sameTraining(cpu({ workers: 2 }), cpu({ workers: 1 }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ workers: 1 }))).toBe(true);
    expect(sameTraining(cpu(), cpu({ workers: 2 }))).toBe(false);
  });

  it("reads an absent vision option as its default, and tells every other value apart", () => {
    // Runs from before these options existed recorded none of them: their grid was the import's 4×4,
    // not the cpu preset's 1×1 of today, which its configs write out.
    const { patchGrid: _grid, ...legacy } = cpu({ steps: 600 });
    expect(sameTraining(legacy, cpu({ steps: 600, stage1: "align", patchGrid: 4, cnnChannels: [16, 32] }))).toBe(true);
    expect(sameTraining(legacy, cpu({ steps: 600 }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ patchGrid: 1 }))).toBe(true);
    expect(sameTraining(cpu({ stage1Fraction: 0.2 }), cpu({ stage1Fraction: 0.2, stage1: "classify" }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ patchGrid: 8 }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ patchGrid: 4 }))).toBe(false);
    expect(sameTraining(cpu({ patchGrid: 4 }), cpu({ patchGrid: 4, globalToken: true }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ globalToken: false }))).toBe(true);
    expect(sameTraining(cpu({ patchGrid: 4, globalToken: true }), cpu({ patchGrid: 4, globalToken: true, globalWeight: 0.5 }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ cnnChannels: [32, 64] }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ cnnChannels: [16, 32, 64] }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ titleDropout: 0 }))).toBe(true);
    expect(sameTraining(cpu(), cpu({ titleDropout: 0.3 }))).toBe(false);
    expect(sameTraining(cpu(), cpu({ imageContrast: 0 }))).toBe(true);
    expect(sameTraining(cpu(), cpu({ imageContrast: 0.5 }))).toBe(false);
    // The preset's channels are the preset's: tiny's default is 4,8.
    expect(sameTraining(resolvePretrainConfig("tiny"), resolvePretrainConfig("tiny", { cnnChannels: [4, 8] }))).toBe(true);
    // Each vision row is its own run; grid1 is the default run, and image contrast on it is grid1-image-contrast.
    const vision = selectAblationRows(
      "grid4,grid1,grid2,grid8,global-token,global-half,cnn-wide,cnn-deep,stage1-align,stage1-classify,title-dropout,image-contrast,stage1-contrast,grid1-image-contrast",
    );
    expect(vision.every((r) => r.table === "vision")).toBe(true);
    expect(uniqueRuns(vision).map((r) => r.id)).toEqual([
      "fusion-grid4",
      "fusion-no-stage1",
      "fusion-grid2",
      "fusion-grid8",
      "fusion-global-token",
      "fusion-global-half",
      "fusion-cnn-wide",
      "fusion-cnn-deep",
      "fusion",
      "fusion-stage1-classify",
      "fusion-title-dropout",
      "fusion-image-contrast",
      "fusion-stage1-contrast",
    ]);
  });

  it("reuses its own finished run, else a finished run with the same config, else resumes, else trains", async () => {
    await fakeRun("pretrain-text", 768, cpu({ fusion: "text" }));
    await fakeRun("half-concat", 300, cpu({ fusion: "concat" })); // unfinished: never borrowed
    const ownDone = await fakeRun("ablation-fusion", 768, cpu());
    const ownHalf = await fakeRun("ablation-in-batch", 200, cpu({ mbns: { enabled: true } }));
    const ownOther = await fakeRun("ablation-cdns", 768, cpu({ cdns: { enabled: true }, seed: 9 }));
    const finished = await listFinishedRuns(runs);
    expect(finished.map((r) => r.dir.split("/").at(-1))).toEqual(["ablation-cdns", "ablation-fusion", "pretrain-text"]);

    expect(await planRun(ownDone, cpu(), finished)).toEqual({ kind: "reuse", dir: ownDone, step: 768 });
    expect(await planRun(join(runs, "ablation-text"), cpu({ fusion: "text" }), finished)).toEqual({ kind: "reuse", dir: join(runs, "pretrain-text"), step: 768 });
    expect(await planRun(join(runs, "ablation-concat"), cpu({ fusion: "concat" }), finished)).toEqual({ kind: "train", dir: join(runs, "ablation-concat"), replaced: false });
    expect(await planRun(ownHalf, cpu({ mbns: { enabled: true } }), finished)).toEqual({ kind: "resume", dir: ownHalf, step: 200 });
    // Same folder, finished with another seed: kept; the new run goes beside it.
    expect(await planRun(ownOther, cpu({ cdns: { enabled: true } }), finished)).toEqual({ kind: "train", dir: `${ownOther}-2`, replaced: false, kept: ownOther });
    // ... and a partial run of the new config there is resumed, not trained again.
    await fakeRun("ablation-cdns-2", 100, cpu({ cdns: { enabled: true } }));
    expect(await planRun(ownOther, cpu({ cdns: { enabled: true } }), finished)).toEqual({ kind: "resume", dir: `${ownOther}-2`, step: 100 });
    // Same folder, unfinished with another config: nothing finished is lost, so it is replaced.
    expect(await planRun(ownHalf, cpu({ seed: 5 }), finished)).toEqual({ kind: "train", dir: ownHalf, replaced: true });
  });
});

describe("runTrainJobs", () => {
  it("reports a failed child with its log tail and still runs the others", async () => {
    const script = "const a = process.argv.slice(1); if (a.includes('bad')) { console.error('line 1\\nsimulated crash'); process.exit(3); } console.log('ok ' + a.join(' '));";
    const out = await runTrainJobs(
      [
        { name: "a", args: ["bad"], logFile: join(runs, "logs", "a.log") },
        { name: "b", args: ["good"], logFile: join(runs, "logs", "b.log") },
      ],
      { concurrency: 1, command: { file: process.execPath, args: ["-e", script] } },
    );
    expect(out.map((o) => [o.job.name, o.code])).toEqual([
      ["a", 3],
      ["b", 0],
    ]);
    expect(out[0]!.tail).toMatch(/simulated crash$/);
    expect(out[1]!.tail).toBeUndefined();
  });
});
