// Helpers of the export tests: tiny models away from their init, and ORT runs of raw arrays.
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { numPatches, patchInputDim, resolveConfig } from "../model/config.ts";
import type { ModelConfig } from "../model/config.ts";
import { mulberry32 } from "../model/params.ts";
import { createModel } from "../model/towers.ts";
import type { Model } from "../model/towers.ts";

/** A tiny-preset model whose every weight got seeded noise, so LN gains, biases and the gate are not at init. */
export function perturbedTinyModel(overrides: Partial<ModelConfig> = {}, seed = 11, scale = 0.05): Model {
  const model = createModel(resolveConfig("tiny", overrides));
  const rand = mulberry32(seed);
  for (const v of model.variables.values()) {
    const noise = Float32Array.from({ length: v.size }, () => (rand() * 2 - 1) * scale);
    tf.tidy(() => v.assign(tf.add(v, tf.tensor(noise, v.shape))));
  }
  return model;
}

/** Run the item graph on raw arrays. */
export async function runItem(session: ort.InferenceSession, cfg: ModelConfig, b: number, title: Int32Array, patches: Float32Array, mask: Float32Array): Promise<Float32Array> {
  const out = await session.run({
    title_tokens: new ort.Tensor("int32", title, [b, cfg.maxTitleLen]),
    patches: new ort.Tensor("float32", patches, [b, numPatches(cfg), patchInputDim(cfg)]),
    image_mask: new ort.Tensor("float32", mask, [b]),
  });
  return out.vector!.data as Float32Array;
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
