// The patch encoder: a small CNN over each patchSize×patchSize×3 patch, batched over B×P
// patches: [conv3×3 → relu → avgpool 2] × layers (cnnChannels, 2 by default) → flatten → dense → H. Average rather than max
// pooling: wasm's MaxPoolGrad is a slow loop (117 ms vs AvgPoolGrad's 61 ms fwd+bwd at 1024×16×16×16).
// The convolutions and pools carry wasm-fast gradients (tf/conv-ops.ts).
import * as tf from "@tensorflow/tfjs";
import { avgPool2, conv3x3, conv3x3OfInput } from "../tf/conv-ops.ts";
import { dense } from "../tf/fast-ops.ts";
import type { ModelConfig } from "./config.ts";
import { numPatches, patchInputDim } from "./config.ts";
import { he, NORMAL, ZEROS } from "./params.ts";
import type { ParamStore } from "./params.ts";

/** One 3×3 convolution layer of the patch CNN. */
export interface ConvLayerParams {
  /** [3,3,c_in,c_out] filter (c_in of the first layer: 3, RGB). */
  w: tf.Variable;
  /** [c_out] its bias. */
  b: tf.Variable;
}

/** Weights of the patch CNN. */
export interface PatchEncoderParams {
  /** The convolutions, `patch.conv1`, `patch.conv2`, … (one per cnnChannels entry). */
  convs: ConvLayerParams[];
  /** [(patchSize/2^layers)²·c_last, H] projection to the transformer width. */
  proj: tf.Variable;
  /** [H] its bias. */
  projb: tf.Variable;
  /** [P·(patchSize/2^layers)²·c_last, H] the whole-image token's projection of every patch's CNN features together (globalToken), else null. */
  global: [tf.Variable, tf.Variable] | null;
}

/** Weights of the projection of frozen backbone features. */
export interface BackboneProjectionParams {
  /** [C,H] features → transformer width. */
  proj: tf.Variable;
  /** [H] its bias. */
  projb: tf.Variable;
}

/** The patch encoder's weights: the CNN, or the backbone projection. */
export type PatchParams = { kind: "cnn"; cnn: PatchEncoderParams } | { kind: "backbone"; backbone: BackboneProjectionParams };

/** Create the patch encoder the config names: the CNN under `patch.*`, or the projection under `patch.backbone.*`. */
export function createPatchParams(store: ParamStore, cfg: ModelConfig): PatchParams {
  if (cfg.patchEncoder === "backbone") {
    return { kind: "backbone", backbone: { proj: store.add("patch.backbone.w", [patchInputDim(cfg), cfg.hidden], NORMAL), projb: store.add("patch.backbone.b", [cfg.hidden], ZEROS) } };
  }
  return { kind: "cnn", cnn: createPatchEncoder(store, cfg) };
}

/** What the patch encoder gives the item tower. */
export interface PatchEncoding {
  /** [B,P,H] one feature per patch (the MPM targets). */
  feats: tf.Tensor3D;
  /** [B,1,H] the whole-image token (globalToken), else null. */
  global: tf.Tensor3D | null;
}

/**
 * Patch inputs [B,P,D] (pixels for the CNN, backbone features otherwise) → patch features [B,P,H], and the whole-image
 * token when the config has one. `maskedPatches` [B,P] (MPM) zeroes those patches out of the whole-image token, so it
 * cannot leak what MPM asks the transformer to predict.
 */
export function encodePatchInputs(p: PatchParams, cfg: ModelConfig, inputs: tf.Tensor3D, maskedPatches?: tf.Tensor2D): PatchEncoding {
  if (p.kind === "cnn") return encodePatches(p.cnn, cfg, inputs, maskedPatches);
  const [batch, count, size] = inputs.shape;
  if (count !== numPatches(cfg) || size !== patchInputDim(cfg)) {
    throw new RangeError(`backbone features must be [B,${numPatches(cfg)},${patchInputDim(cfg)}], got [${inputs.shape.join(",")}]`);
  }
  const feats = tf.tidy(() => {
    const out = dense(tf.reshape(inputs, [batch * count, size]) as tf.Tensor2D, p.backbone.proj as tf.Tensor2D, p.backbone.projb as tf.Tensor1D);
    return tf.reshape(out, [batch, count, cfg.hidden]) as tf.Tensor3D;
  });
  return { feats, global: null };
}

/** Values per patch after the CNN's layers, before its projection: (patchSize/2^layers)²·c_last. */
export function cnnFlatDim(cfg: ModelConfig): number {
  const ch = cfg.cnnChannels;
  return (cfg.patchSize / 2 ** ch.length) ** 2 * ch[ch.length - 1]!;
}

/** Create the CNN's variables under `patch.*`. */
export function createPatchEncoder(store: ParamStore, cfg: ModelConfig): PatchEncoderParams {
  const ch = cfg.cnnChannels;
  // Created in layer order, so the default two layers draw the weights they always drew.
  const convs = ch.map((c, i) => {
    const cin = i === 0 ? 3 : ch[i - 1]!;
    return { w: store.add(`patch.conv${i + 1}.w`, [3, 3, cin, c], he(9 * cin)), b: store.add(`patch.conv${i + 1}.b`, [c], ZEROS) };
  });
  const flat = cnnFlatDim(cfg);
  const proj = store.add("patch.proj.w", [flat, cfg.hidden], NORMAL);
  const projb = store.add("patch.proj.b", [cfg.hidden], ZEROS);
  // Drawn after the rest, so a model without it draws the weights it always drew.
  const global: [tf.Variable, tf.Variable] | null = cfg.globalToken
    ? [store.add("patch.global.w", [numPatches(cfg) * flat, cfg.hidden], NORMAL), store.add("patch.global.b", [cfg.hidden], ZEROS)]
    : null;
  return { convs, proj, projb, global };
}

/** patches [B,P,patchSize²·3] (HWC per patch) → patch features [B,P,H] (and the whole-image token [B,1,H]). */
export function encodePatches(p: PatchEncoderParams, cfg: ModelConfig, patches: tf.Tensor3D, maskedPatches?: tf.Tensor2D): PatchEncoding {
  const [batch, count, size] = patches.shape;
  const s = cfg.patchSize;
  if (count !== numPatches(cfg) || size !== s * s * 3) {
    throw new RangeError(`patches must be [B,${numPatches(cfg)},${s * s * 3}], got [${patches.shape.join(",")}]`);
  }
  // tidy keeps every tensor reachable from the returned object (null fields included).
  return tf.tidy(() => {
    const x = tf.reshape(patches, [batch * count, s, s, 3]) as tf.Tensor4D;
    // The pixels take no gradient: the first convolution skips its input gradient.
    let h = x;
    p.convs.forEach((c, i) => {
      const conv = i === 0 ? conv3x3OfInput(h, c.w as tf.Tensor4D) : conv3x3(h, c.w as tf.Tensor4D);
      h = avgPool2(tf.relu(tf.add(conv, c.b)) as tf.Tensor4D);
    });
    const flat = tf.reshape(h, [batch * count, -1]) as tf.Tensor2D;
    const out = dense(flat, p.proj as tf.Tensor2D, p.projb as tf.Tensor1D);
    const feats = tf.reshape(out, [batch, count, cfg.hidden]) as tf.Tensor3D;
    if (!p.global) return { feats, global: null } as unknown as tf.TensorContainer;
    // Every patch's feature map side by side: the projection sees the thumbnail's layout as a whole.
    const kept = maskedPatches ? tf.mul(flat, tf.sub(1, tf.reshape(maskedPatches, [batch * count, 1]))) : flat;
    const whole = dense(tf.reshape(kept, [batch, -1]) as tf.Tensor2D, p.global[0] as tf.Tensor2D, p.global[1] as tf.Tensor1D);
    return { feats, global: tf.reshape(whole, [batch, 1, cfg.hidden]) } as unknown as tf.TensorContainer;
  }) as unknown as PatchEncoding;
}
