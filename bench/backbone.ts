// An image backbone through `--image-encoder`'s path (sharp resize at its input size, the JSON's
// normalisation, ONNX Runtime, pooling to 4×4 tokens, the per-image cache), on fashion-mnist: how
// fast features are computed and how much faster a cached run reads them (baseline: the computing
// run, same process), and what a linear probe (gpu-jobs/eval/probe.ts) tells from them alone,
// before any training, against the thumbnails' own pixels. The backbone is a fixed random
// convolution bank built here (no pretrained model can be downloaded on these machines): a floor
// for what a frozen backbone hands the item tower, not a stand-in for a pretrained one.
// Usage: npm run bench -- backbone [--data DIR] [--channels 64]
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateDataset } from "../datasets/index.ts";
import { describeBackbone } from "../encoders/index.ts";
import { attachBackboneFeatures, featureCacheDir, linearProbe, loadTrainingData } from "../gpu-jobs/index.ts";
import { writeTestBackbone } from "../gpu-jobs/backbone/test-backbone.ts";
import { importData } from "../ingest/index.ts";
import { readImportManifest } from "../lancedb/index.ts";
import { BENCH_DATA, printTable, writeResults } from "./bench-utils.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, channels: { type: "string", default: "64" } } });
const channels = Number(values.channels);

async function fashionData(): Promise<string> {
  const src = join(BENCH_DATA, "fashion-mnist-5000");
  const dataDir = join(BENCH_DATA, "fm-5000");
  if (!existsSync(join(src, "dataset.json"))) await generateDataset("fashion-mnist", { out: src, items: 5000, seed: 42 });
  const imported = await readImportManifest(dataDir).then(
    () => true,
    () => false,
  );
  if (!imported) await importData({ catalog: join(src, "catalog.jsonl"), clicks: join(src, "clicks.jsonl"), evalClicks: join(src, "clicks-eval.jsonl"), out: dataDir });
  return dataDir;
}

const dataDir = values.data ?? (await fashionData());
const dir = join(BENCH_DATA, "backbone");
await mkdir(dir, { recursive: true });
// Conv 5×5 stride 2 (3 → C) + ReLU on a 32×32 input: a 16×16×C map, pooled to 4×4 tokens × C.
const file = await writeTestBackbone(join(dir, `random-conv-${channels}`), {
  size: 32,
  kernel: 5,
  stride: 2,
  pad: 2,
  channels,
  seed: 3,
  json: { input: { size: 32, layout: "NCHW", channels: "RGB", scale: 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } },
});
const data = await loadTrainingData(dataDir, { allowNoPairs: true });
const items = data.items;
const desc = await describeBackbone(file, items.grid);
await rm(featureCacheDir(dataDir, desc.id), { recursive: true, force: true });

const t0 = performance.now();
const first = await attachBackboneFeatures(dataDir, items, desc);
const computeS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const again = await loadTrainingData(dataDir, { allowNoPairs: true });
const t2 = performance.now();
const second = await attachBackboneFeatures(dataDir, again.items, desc);
const cachedS = (performance.now() - t2) / 1000;
const loadS = (t2 - t1) / 1000;
const images = first.computed;
printTable(
  ["run", "images", "computed", "from cache", "session runs", "s", "images/s", "× computing"],
  [
    ["computing (baseline)", images, first.computed, first.cached, first.runs, computeS.toFixed(1), (images / computeS).toFixed(0), "1.0"],
    ["cached", images, second.computed, second.cached, second.runs, cachedS.toFixed(1), (images / cachedS).toFixed(0), (computeS / cachedS).toFixed(1)],
  ],
);
console.log(`(reloading the catalog for the second run took ${loadS.toFixed(1)} s, not counted)`);

// Probe inputs: the backbone's 16 tokens, their mean, and the thumbnails' pixels (grey, 16×16).
const f = items.features!;
const n = items.ids.length;
const per = f.tokens * f.dim;
const mean = new Float32Array(n * f.dim);
for (let r = 0; r < n; r++) for (let t = 0; t < f.tokens; t++) for (let c = 0; c < f.dim; c++) mean[r * f.dim + c]! += f.values[r * per + t * f.dim + c]! / f.tokens;
const S = items.thumbSize;
const cell = S / 16;
const grey = new Float32Array(n * 256);
for (let r = 0; r < n; r++) {
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const o = (r * S * S + y * S + x) * 3;
      grey[r * 256 + Math.floor(y / cell) * 16 + Math.floor(x / cell)]! += (items.thumbs[o]! + items.thumbs[o + 1]! + items.thumbs[o + 2]!) / (3 * 255 * cell * cell);
    }
  }
}
const probe = (vectors: Float32Array, dim: number) => linearProbe({ vectors, dim, ids: items.ids, categories: items.categories })!;
const rows: [string, number, ReturnType<typeof probe>][] = [
  [`thumbnail pixels, grey 16×16 (baseline)`, 256, probe(grey, 256)],
  [`random conv bank: mean of ${f.tokens} tokens`, f.dim, probe(mean, f.dim)],
  [`random conv bank: ${f.tokens} tokens × ${f.dim}`, per, probe(f.values, per)],
];
console.log("");
printTable(
  ["features (no training)", "dim", "probe acc %", "sd", "majority %", "items", "× baseline"],
  rows.map(([name, dim, p]) => [
    name,
    dim,
    (100 * p.accuracy).toFixed(1),
    p.sd === null ? "n/a" : (100 * p.sd).toFixed(1),
    (100 * p.majority).toFixed(1),
    p.items,
    (p.accuracy / rows[0]![2].accuracy).toFixed(2),
  ]),
);
const path = await writeResults("backbone", {
  dataDir,
  backbone: { file, id: desc.id, channels, tokens: f.tokens, dim: f.dim },
  features: { images, computeSeconds: computeS, cachedSeconds: cachedS, speedup: computeS / cachedS, runs: first.runs, cachedRuns: second.runs },
  probes: rows.map(([name, dim, p]) => ({ name, dim, accuracy: p.accuracy, sd: p.sd, majority: p.majority, items: p.items })),
});
console.log(`\nresults: ${path}`);
