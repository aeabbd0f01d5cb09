// Training cost of issue #17's vision-side options at the `cpu` preset on the demo catalog:
// `vitrine pretrain`'s own loop (runPretrain) per option — thumbnail size (the import's
// --image-size), patch grid, CNN width and depth, stage 1 align vs classify vs contrast (all timed
// steps in stage 1), image–image contrast beside matching — steady-state samples/s after a warm-up, and the ratio to the 4×4 baseline measured in the
// same run. Rounds interleave the variants (every other round backwards), so a load change on a
// shared machine hits them alike; the table shows every round's figure beside the mean.
// Cost only: what each option buys is `vitrine eval --ablations` (the vision table).
// Usage: npm run bench -- train-vision [--steps 40] [--items 2000] [--workers 1] [--rounds 1] [--only grid4,grid1,global,...]
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadTrainingData, resolvePretrainConfig, runPretrain, selectBackend, type PretrainOverrides, type TrainingData } from "../gpu-jobs/index.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { ensureDemoData } from "./support/demo-data.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "40" },
    items: { type: "string", default: "2000" },
    workers: { type: "string", default: "1" },
    rounds: { type: "string", default: "1" },
    only: { type: "string" },
  },
});
const steps = Number(values.steps);
const items = Number(values.items);
const workers = Number(values.workers);
const rounds = Number(values.rounds);
const WARMUP = 3;

interface Variant {
  id: string;
  label: string;
  /** Thumbnail side of the import it trains on. */
  px: number;
  o: PretrainOverrides;
}
const VARIANTS: Variant[] = [
  // The baseline: the cpu preset's image side before the 1×1 grid (the time bound of issue #17 is against it).
  { id: "grid4", label: "64px, 4×4 grid, CNN 16,32, no stage 1 (the cpu preset's earlier default)", px: 64, o: { patchGrid: 4 } },
  { id: "px96", label: "96px thumbnails", px: 96, o: { patchGrid: 4 } },
  { id: "px128", label: "128px thumbnails", px: 128, o: { patchGrid: 4 } },
  { id: "grid1", label: "1×1 grid: the whole 64px thumbnail (the cpu preset's now)", px: 64, o: { patchGrid: 1 } },
  { id: "grid2", label: "2×2 grid (64px)", px: 64, o: { patchGrid: 2 } },
  { id: "grid8", label: "8×8 grid (64px)", px: 64, o: { patchGrid: 8 } },
  { id: "global", label: "4×4 grid + a whole-image token", px: 64, o: { patchGrid: 4, globalToken: true } },
  { id: "px128-grid8", label: "128px, 8×8 grid", px: 128, o: { patchGrid: 8 } },
  { id: "cnn-wide", label: "CNN 32,64", px: 64, o: { patchGrid: 4, cnnChannels: [32, 64] } },
  { id: "cnn-deep", label: "CNN 16,32,64", px: 64, o: { patchGrid: 4, cnnChannels: [16, 32, 64] } },
  { id: "stage1-align", label: "stage 1 align (every step)", px: 64, o: { patchGrid: 4, stage1Fraction: 1 } },
  { id: "stage1-classify", label: "stage 1 classify (every step)", px: 64, o: { patchGrid: 4, stage1: "classify", stage1Fraction: 1 } },
  { id: "stage1-contrast", label: "stage 1 image–image contrast (every step)", px: 64, o: { patchGrid: 4, stage1: "contrast", stage1Fraction: 1 } },
  { id: "image-contrast", label: "image–image contrast beside matching (0.5)", px: 64, o: { patchGrid: 4, imageContrast: 0.5 } },
  { id: "grid1-image-contrast", label: "1×1 grid + image–image contrast (0.5)", px: 64, o: { patchGrid: 1, imageContrast: 0.5 } },
];
const chosen = values.only ? VARIANTS.filter((v) => values.only!.split(",").includes(v.id)) : VARIANTS;
if (!chosen.some((v) => v.id === "grid4")) chosen.unshift(VARIANTS[0]!); // the baseline is always measured
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
const loadBefore = load();
await selectBackend({ prefer: "wasm" });
const data = new Map<number, { dir: string; data: TrainingData }>();
for (const px of new Set(chosen.map((v) => v.px))) {
  const dir = await ensureDemoData(items, px);
  data.set(px, { dir, data: await loadTrainingData(dir) });
}
console.log(`cpu preset, batch 64, ${workers} worker(s), demo ${items} items, ${steps} steps per run (${WARMUP} warm-up), ${rounds} round(s); load average before: ${loadBefore}`);

interface Sample {
  id: string;
  round: number;
  samplesPerSec: number;
  msPerStep: number;
  parameters: number;
}
const samples: Sample[] = [];
const tmp = await mkdtemp(join(tmpdir(), "vitrine-bench-vision-"));
for (let round = 0; round < rounds; round++) {
  // Odd rounds run the variants backwards: a load that drifts over a round then evens out.
  for (const v of round % 2 ? [...chosen].reverse() : chosen) {
    const d = data.get(v.px)!;
    const config = resolvePretrainConfig("cpu", { steps, workers, checkpointEvery: steps, ...v.o });
    const stamps: number[] = [];
    let parameters = 0;
    const r = await runPretrain({
      dataDir: d.dir,
      runDir: join(tmp, `${v.id}-${round}`),
      config,
      backend: "wasm",
      data: d.data,
      onStep: () => stamps.push(performance.now()),
      log: (l) => {
        const m = /, ([\d]+) parameters,/.exec(l);
        if (m) parameters = Number(m[1]);
      },
    });
    r.model.dispose();
    await rm(join(tmp, `${v.id}-${round}`), { recursive: true, force: true });
    const timed = stamps.length - 1 - WARMUP;
    const ms = (stamps.at(-1)! - stamps[WARMUP]!) / timed;
    samples.push({ id: v.id, round, samplesPerSec: (config.batchSize * 1000) / ms, msPerStep: ms, parameters });
    console.log(`  round ${round + 1}, ${v.id}: ${((config.batchSize * 1000) / ms).toFixed(1)} samples/s (load ${load()})`);
  }
}
await rm(tmp, { recursive: true, force: true });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const of = (id: string) => samples.filter((s) => s.id === id);
// The ratio to the 4×4 baseline of the same round, averaged over rounds.
const ratio = (id: string) => mean(of(id).map((x) => x.samplesPerSec / of("grid4").find((d) => d.round === x.round)!.samplesPerSec));
console.log(`\ntraining cost per option (runPretrain, steady state; vs 4×4: the ratio to the same round's 4×4 baseline, mean over rounds)\n`);
printTable(
  ["option", "what", "parameters", "samples/s", "per round", "ms/step", "vs 4×4", "600 steps, min", "768 steps, min"],
  chosen.map((v) => {
    const sps = mean(of(v.id).map((s) => s.samplesPerSec));
    return [
      v.id,
      v.label,
      of(v.id)[0]!.parameters.toLocaleString("en"),
      sps.toFixed(1),
      of(v.id)
        .map((x) => x.samplesPerSec.toFixed(1))
        .join(", "),
      mean(of(v.id).map((s) => s.msPerStep)).toFixed(0),
      `${ratio(v.id).toFixed(2)}×`,
      ((600 * 64) / sps / 60).toFixed(1),
      ((768 * 64) / sps / 60).toFixed(1),
    ];
  }),
);
console.log(`\nload average before: ${loadBefore}; after: ${load()}`);
console.log(`results: ${await writeResults("train-vision", { items, steps, workers, rounds, samples, load: { before: loadBefore, after: load() } })}`);
