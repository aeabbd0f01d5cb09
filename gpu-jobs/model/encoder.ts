// Pre-LN transformer encoder: x += attn(LN(x)); x += FFN(LN(x)); final LN. Built from
// fast-ops so every matMul takes wasm's XNNPACK path.
import * as tf from "@tensorflow/tfjs";
import { dense, gelu, layerNorm, multiHeadAttention } from "../tf/fast-ops.ts";
import type { AttentionParams } from "../tf/fast-ops.ts";
import type { ModelConfig } from "./config.ts";
import { NORMAL, ONES, ZEROS } from "./params.ts";
import type { ParamStore } from "./params.ts";

/** One transformer layer's weights. */
export interface LayerParams {
  /** LayerNorm before attention: gain, bias. */
  ln1: [tf.Variable, tf.Variable];
  /** Self-attention weights. */
  attn: AttentionParams;
  /** LayerNorm before the FFN: gain, bias. */
  ln2: [tf.Variable, tf.Variable];
  /** FFN: [H,ffn] and bias, then [ffn,H] and bias. */
  ffn: [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
}

/** An encoder: its layers and the final LayerNorm. */
export interface EncoderParams {
  /** Layers in order. */
  layers: LayerParams[];
  /** Final LayerNorm gain, bias. */
  lnOut: [tf.Variable, tf.Variable];
}

/** A LayerNorm's gain and bias under `${name}.g` / `${name}.b`. */
export function createLayerNorm(store: ParamStore, name: string, width: number): [tf.Variable, tf.Variable] {
  return [store.add(`${name}.g`, [width], ONES), store.add(`${name}.b`, [width], ZEROS)];
}

/** Create an encoder's variables under `${prefix}.layerN.*`. */
export function createEncoder(store: ParamStore, prefix: string, cfg: ModelConfig): EncoderParams {
  const h = cfg.hidden;
  const layers: LayerParams[] = [];
  for (let i = 0; i < cfg.layers; i++) {
    const p = `${prefix}.layer${i}`;
    layers.push({
      ln1: createLayerNorm(store, `${p}.ln1`, h),
      attn: {
        wqkv: store.add(`${p}.attn.wqkv`, [h, 3 * h], NORMAL) as tf.Tensor as tf.Tensor2D,
        bqkv: store.add(`${p}.attn.bqkv`, [3 * h], ZEROS) as tf.Tensor as tf.Tensor1D,
        wo: store.add(`${p}.attn.wo`, [h, h], NORMAL) as tf.Tensor as tf.Tensor2D,
        bo: store.add(`${p}.attn.bo`, [h], ZEROS) as tf.Tensor as tf.Tensor1D,
      },
      ln2: createLayerNorm(store, `${p}.ln2`, h),
      ffn: [store.add(`${p}.ffn.w1`, [h, cfg.ffn], NORMAL), store.add(`${p}.ffn.b1`, [cfg.ffn], ZEROS), store.add(`${p}.ffn.w2`, [cfg.ffn, h], NORMAL), store.add(`${p}.ffn.b2`, [h], ZEROS)],
    });
  }
  return { layers, lnOut: createLayerNorm(store, `${prefix}.ln_out`, h) };
}

/** Dropout (identity when rate is 0 or not training), seeded for reproducible runs. */
export type Dropout = (x: tf.Tensor) => tf.Tensor;

/** x [B,L,H] with mask [B,L] (1 = real) → states [B,L,H]. */
export function runEncoder(enc: EncoderParams, cfg: ModelConfig, x: tf.Tensor3D, mask: tf.Tensor2D, drop: Dropout): tf.Tensor3D {
  return tf.tidy(() => {
    let h: tf.Tensor3D = x;
    for (const layer of enc.layers) {
      const a = layerNorm(h, layer.ln1[0] as tf.Tensor1D, layer.ln1[1] as tf.Tensor1D) as tf.Tensor3D;
      h = tf.add(h, drop(multiHeadAttention(a, mask, layer.attn, cfg.heads, cfg.attention)));
      const f = layerNorm(h, layer.ln2[0] as tf.Tensor1D, layer.ln2[1] as tf.Tensor1D);
      const [w1, b1, w2, b2] = layer.ffn;
      const inner = gelu(dense(f, w1 as tf.Tensor2D, b1 as tf.Tensor1D));
      h = tf.add(h, drop(dense(inner, w2 as tf.Tensor2D, b2 as tf.Tensor1D)));
    }
    return layerNorm(h, enc.lnOut[0] as tf.Tensor1D, enc.lnOut[1] as tf.Tensor1D) as tf.Tensor3D;
  });
}
