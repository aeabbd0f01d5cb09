// Pre-training heads: MLM logits tied to the token embedding, and the MPM patch predictor.
import * as tf from "@tensorflow/tfjs";
import { dense, gelu, layerNorm, matMulBT } from "../tf/fast-ops.ts";
import type { ModelConfig } from "./config.ts";
import { createLayerNorm } from "./encoder.ts";
import { NORMAL, ZEROS } from "./params.ts";
import type { ParamStore } from "./params.ts";

/** Weights of the MLM and MPM heads. */
export interface HeadParams {
  /** MLM transform [H,H] + bias, LayerNorm, and the output bias [V]. */
  mlm: { w: tf.Variable; b: tf.Variable; ln: [tf.Variable, tf.Variable]; outBias: tf.Variable };
  /** MPM predictor: [H,H] + bias, gelu, [H,H] + bias. */
  mpm: { w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable };
}

/** Create the heads' variables under `mlm.*` and `mpm.*`. */
export function createHeads(store: ParamStore, cfg: ModelConfig): HeadParams {
  const h = cfg.hidden;
  return {
    mlm: {
      w: store.add("mlm.w", [h, h], NORMAL),
      b: store.add("mlm.b", [h], ZEROS),
      ln: createLayerNorm(store, "mlm.ln", h),
      outBias: store.add("mlm.out_bias", [cfg.vocabSize], ZEROS),
    },
    mpm: {
      w1: store.add("mpm.w1", [h, h], NORMAL),
      b1: store.add("mpm.b1", [h], ZEROS),
      w2: store.add("mpm.w2", [h, h], NORMAL),
      b2: store.add("mpm.b2", [h], ZEROS),
    },
  };
}

/** states [B,L,H] → vocab logits [B,L,V] = LN(gelu(states·W + b)) · Eᵀ + bias (E: token embedding). */
export function mlmLogits(p: HeadParams, tokenEmbedding: tf.Variable, states: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, l, h] = states.shape;
    const t = gelu(dense(tf.reshape(states, [b * l, h]), p.mlm.w as tf.Tensor2D, p.mlm.b as tf.Tensor1D));
    const n = layerNorm(t, p.mlm.ln[0] as tf.Tensor1D, p.mlm.ln[1] as tf.Tensor1D) as tf.Tensor2D;
    // Explicit transpose + flag-free matMul: the wasm fast path, forward and backward.
    const logits = tf.add(matMulBT(n, tokenEmbedding as tf.Tensor as tf.Tensor2D), p.mlm.outBias);
    return tf.reshape(logits, [b, l, -1]) as tf.Tensor3D;
  });
}

/** states [B,P,H] at patch positions → predicted patch features [B,P,H] (MPM). */
export function mpmPredict(p: HeadParams, states: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const t = gelu(dense(states, p.mpm.w1 as tf.Tensor2D, p.mpm.b1 as tf.Tensor1D));
    return dense(t, p.mpm.w2 as tf.Tensor2D, p.mpm.b2 as tf.Tensor1D) as tf.Tensor3D;
  });
}
