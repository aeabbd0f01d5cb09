// Parity: the same sample inputs through TF.js (model.encodeQuery / encodeItem) and through
// onnxruntime-node; an export counts only when every vector element agrees within the tolerance.
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { numPatches, patchInputDim } from "../model/config.ts";
import type { ModelConfig } from "../model/config.ts";
import { mulberry32 } from "../model/params.ts";
import type { Model } from "../model/towers.ts";
import { ExportError } from "./errors.ts";

/** Options of checkParity. */
export interface ParityOptions {
  /** Sample inputs per graph (default 256). */
  samples?: number;
  /** Batch size of both runtimes; the last batch may be smaller (default 64). */
  batchSize?: number;
  /** Largest allowed |TF.js − ONNX| per vector element (default 1e-4). */
  tolerance?: number;
  /** Seed of the sample inputs (default 7). */
  seed?: number;
  /** Fraction of text-only items (image_mask 0) among the samples (default 0.25). */
  textOnlyRate?: number;
  /** Element type the graphs' token inputs were built with (default "int32"). */
  tokenType?: "int32" | "int64";
}

/** Differences of one graph. */
export interface GraphParity {
  /** Largest |TF.js − ONNX| over every element of every vector. */
  maxAbsDiff: number;
  /** Mean |TF.js − ONNX|. */
  meanAbsDiff: number;
}

/** What checkParity measured. */
export interface ParityResult {
  /** Sample inputs per graph. */
  samples: number;
  /** Batch size used. */
  batchSize: number;
  /** The tolerance applied. */
  tolerance: number;
  /** Query graph differences. */
  query: GraphParity;
  /** Item graph differences over all items. */
  item: GraphParity;
  /** Item graph differences over the text-only items alone. */
  itemTextOnly: GraphParity;
  /** Text-only items among the samples. */
  textOnlyItems: number;
  /** Wall time of the whole check in milliseconds. */
  ms: number;
}

/** Random padded token rows: lengths 1..len, ids in [0, vocab) other than padId. */
function tokenRows(rand: () => number, cfg: ModelConfig, n: number, len: number): Int32Array {
  const out = new Int32Array(n * len).fill(cfg.padId);
  for (let i = 0; i < n; i++) {
    const real = 1 + Math.floor(rand() * len);
    for (let j = 0; j < real; j++) {
      let id = Math.floor(rand() * cfg.vocabSize);
      if (id === cfg.padId) id = (id + 1) % cfg.vocabSize;
      out[i * len + j] = id;
    }
  }
  return out;
}

function tokenTensor(type: "int32" | "int64", values: Int32Array, dims: number[]): ort.Tensor {
  return type === "int32"
    ? new ort.Tensor("int32", values, dims)
    : new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );
}

class DiffStats {
  max = 0;
  sum = 0;
  count = 0;
  add(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (!(d <= this.max)) this.max = Number.isNaN(d) ? Infinity : d;
      this.sum += Number.isFinite(d) ? d : 0;
      this.count++;
    }
  }
  result(): GraphParity {
    return { maxAbsDiff: this.max, meanAbsDiff: this.count ? this.sum / this.count : 0 };
  }
}

/** Compare the query and item graphs (ModelProto bytes) against the live model; throws ExportError PARITY_FAILED. */
export async function checkParity(model: Model, graphs: { query: Uint8Array; item: Uint8Array }, opts: ParityOptions = {}): Promise<ParityResult> {
  const t0 = performance.now();
  const cfg = model.config;
  const n = opts.samples ?? 256;
  const bs = opts.batchSize ?? 64;
  const tolerance = opts.tolerance ?? 1e-4;
  const tokenType = opts.tokenType ?? "int32";
  const rand = mulberry32(opts.seed ?? 7);
  const P = numPatches(cfg);
  const patchDim = patchInputDim(cfg);
  const queries = tokenRows(rand, cfg, n, cfg.maxQueryLen);
  const titles = tokenRows(rand, cfg, n, cfg.maxTitleLen);
  const patches = Float32Array.from({ length: n * P * patchDim }, () => rand());
  const imageMask = Float32Array.from({ length: n }, () => (rand() < (opts.textOnlyRate ?? 0.25) ? 0 : 1));
  const open = (bytes: Uint8Array, what: string) =>
    ort.InferenceSession.create(bytes).catch((e: unknown) => {
      throw new ExportError("GRAPH_INVALID", `onnxruntime rejected the ${what} graph: ${(e as Error).message}`, null, { cause: e });
    });
  const [qs, is] = await Promise.all([open(graphs.query, "query"), open(graphs.item, "item")]);
  const q = new DiffStats();
  const it = new DiffStats();
  const textOnly = new DiffStats();
  try {
    for (let s = 0; s < n; s += bs) {
      const b = Math.min(bs, n - s);
      const qRows = queries.subarray(s * cfg.maxQueryLen, (s + b) * cfg.maxQueryLen);
      const tRows = titles.subarray(s * cfg.maxTitleLen, (s + b) * cfg.maxTitleLen);
      const pRows = patches.subarray(s * P * patchDim, (s + b) * P * patchDim);
      const mRows = imageMask.subarray(s, s + b);
      const tfQ = tf.tidy(() => model.encodeQuery(tf.tensor2d(qRows, [b, cfg.maxQueryLen], "int32")));
      const tfI = tf.tidy(() => {
        const out = model.encodeItem({
          titleTokens: tf.tensor2d(tRows, [b, cfg.maxTitleLen], "int32"),
          patches: tf.tensor3d(pRows, [b, P, patchDim]),
          imageMask: tf.tensor1d(mRows),
        });
        return out.vector;
      });
      const [qa, ia] = [await tfQ.data(), await tfI.data()];
      tf.dispose([tfQ, tfI]);
      const qo = await qs.run({ tokens: tokenTensor(tokenType, qRows, [b, cfg.maxQueryLen]) });
      const io = await is.run({
        title_tokens: tokenTensor(tokenType, tRows, [b, cfg.maxTitleLen]),
        patches: new ort.Tensor("float32", pRows, [b, P, patchDim]),
        image_mask: new ort.Tensor("float32", mRows, [b]),
      });
      const qb = qo.vector!.data as Float32Array;
      const ib = io.vector!.data as Float32Array;
      if (qb.length !== qa.length || ib.length !== ia.length) {
        throw new ExportError("PARITY_FAILED", `parity: ONNX output sizes ${qb.length}/${ib.length} differ from TF.js ${qa.length}/${ia.length}`);
      }
      q.add(qa, qb, 0, qa.length);
      it.add(ia, ib, 0, ia.length);
      for (let r = 0; r < b; r++) if (mRows[r] === 0) textOnly.add(ia, ib, r * cfg.dim, (r + 1) * cfg.dim);
    }
  } finally {
    await Promise.all([qs.release(), is.release()]);
  }
  const result: ParityResult = {
    samples: n,
    batchSize: bs,
    tolerance,
    query: q.result(),
    item: it.result(),
    itemTextOnly: textOnly.result(),
    textOnlyItems: imageMask.reduce((a, m) => a + (m === 0 ? 1 : 0), 0),
    ms: performance.now() - t0,
  };
  const worst = Math.max(result.query.maxAbsDiff, result.item.maxAbsDiff);
  if (!(worst <= tolerance)) {
    throw new ExportError(
      "PARITY_FAILED",
      `ONNX parity failed: max |TF.js − ONNX| is ${result.query.maxAbsDiff.toExponential(2)} (query) and ${result.item.maxAbsDiff.toExponential(2)} (item) over ${n} samples; the limit is ${tolerance}`,
      result,
    );
  }
  return result;
}
