// Item embedding throughput of the exported `cpu`-preset item tower: ONNX Runtime vs TF.js (wasm)
// on the same model and items, with image preprocessing (tokenise + cut patches) included and
// excluded. Baseline in the same run: TF.js with preprocessing. Goal: ≥ 150 items/s per core
// end to end. Usage: npm run bench -- embed [--items 2000]
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import * as tf from "@tensorflow/tfjs";
import { openSession } from "../encoders/index.ts";
import { createModel, exportGraphs, loadTrainingData, patchesOf, resolveConfig, selectBackend, trainTokenizer } from "../gpu-jobs/index.ts";
import { printTable, writeResults } from "./bench-utils.ts";
import { ensureDemoData } from "./support/demo-data.ts";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";

const { values } = parseArgs({ options: { items: { type: "string", default: "2000" }, batch: { type: "string", default: "256" } } });
const items = Number(values.items);
const B = Number(values.batch);
const dataDir = await ensureDemoData(items);
await selectBackend({ prefer: "wasm" });
const data = await loadTrainingData(dataDir);
const tokenizer = trainTokenizer([...data.items.titles, ...data.pairs.query]);
const cfg = resolveConfig("cpu", { vocabSize: tokenizer.vocabSize, dropout: 0, patchSize: data.items.thumbSize / data.items.grid });
const model = createModel(cfg);
const graphs = await exportGraphs(model, { parity: { samples: 64 } });
const dir = await mkdtemp(join(tmpdir(), "vitrine-embed-bench-"));
await writeFile(join(dir, "item.onnx"), graphs.item);
const { session, provider } = await openSession(join(dir, "item.onnx"));
const n = data.items.ids.length;
const P = cfg.patchGrid ** 2;
const pd = cfg.patchSize * cfg.patchSize * 3;

function prep(from: number) {
  const rows = Int32Array.from({ length: Math.min(B, n - from) }, (_, i) => from + i);
  return {
    rows,
    tokens: tokenizer.encodeBatch(
      Array.from(rows, (r) => data.items.titles[r]!),
      cfg.maxTitleLen,
    ),
    patches: patchesOf(data.items, rows, cfg.patchGrid),
    mask: Float32Array.from(rows, (r) => (data.items.textOnly[r] ? 0 : 1)),
  };
}
const prepared = Array.from({ length: Math.ceil(n / B) }, (_, i) => prep(i * B));

async function onnx(withPrep: boolean): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < prepared.length; i++) {
    const p = withPrep ? prep(i * B) : prepared[i]!;
    const b = p.rows.length;
    await session.run({
      title_tokens: new ort.Tensor("int32", p.tokens, [b, cfg.maxTitleLen]),
      patches: new ort.Tensor("float32", p.patches, [b, P, pd]),
      image_mask: new ort.Tensor("float32", p.mask, [b]),
    });
  }
  return n / ((performance.now() - t0) / 1000);
}
function tfjs(withPrep: boolean): number {
  const t0 = performance.now();
  for (let i = 0; i < prepared.length; i++) {
    const p = withPrep ? prep(i * B) : prepared[i]!;
    const b = p.rows.length;
    tf.tidy(() => {
      model.encodeItem({ titleTokens: tf.tensor2d(p.tokens, [b, cfg.maxTitleLen], "int32"), patches: tf.tensor3d(p.patches, [b, P, pd]), imageMask: tf.tensor1d(p.mask) }).vector.dataSync();
    });
  }
  return n / ((performance.now() - t0) / 1000);
}

await onnx(false); // warm-up
tfjs(false);
const rows = [
  { run: "TF.js wasm, with preprocessing (baseline)", ips: tfjs(true) },
  { run: "TF.js wasm, inference only", ips: tfjs(false) },
  { run: `ONNX Runtime ${provider}, with preprocessing`, ips: await onnx(true) },
  { run: `ONNX Runtime ${provider}, inference only`, ips: await onnx(false) },
];
const base = rows[0]!.ips;
console.log(`\nitem tower, cpu preset (${cfg.layers}×${cfg.hidden}), ${n} demo items, batch ${B}, 2-core machine\n`);
printTable(
  ["run", "items/s", "items/s per core", "vs baseline"],
  rows.map((r) => [r.run, r.ips.toFixed(0), (r.ips / 2).toFixed(0), `${(r.ips / base).toFixed(2)}×`]),
);
console.log(`\ngoal: ≥ 150 items/s per core end to end (ONNX Runtime with preprocessing): ${rows[2]!.ips / 2 >= 150 ? "met" : "not met"}`);
console.log(`results: ${await writeResults("embed", { items, batch: B, provider, rows })}`);
model.dispose();
