// The patch encoder: a small CNN over each patchSize×patchSize×3 patch, batched over B×P
// patches: [conv3×3 → relu → avgpool 2] × 2 → flatten → dense → H. Average rather than max
// pooling: wasm's MaxPoolGrad is a slow loop (117 ms vs AvgPoolGrad's 61 ms fwd+bwd at 1024×16×16×16).
//
// wasm has Conv2D (XNNPACK) but no Conv2DBackpropFilter, and its Conv2DBackpropInput is a slow
// loop (110 ms vs 9 ms forward at 1024×16×16×3→16). So conv3x3 carries its own gradient made of
// forward convolutions only: dx = conv(dy, flipped Wᵀ); dW = conv(xᵀ, dyᵀ) with the batch folded
// into channels. im2col (9 slices + concat) was 20–40× slower than either: wasm's rank-4 Slice
// and last-axis Concat are slow loops.
import * as tf from "@tensorflow/tfjs";
import { dense } from "../tf/fast-ops.ts";
import type { ModelConfig } from "./config.ts";
import { numPatches, patchInputDim } from "./config.ts";
import { he, NORMAL, ZEROS } from "./params.ts";
import type { ParamStore } from "./params.ts";

/** Weights of the patch CNN. */
export interface PatchEncoderParams {
  /** [3,3,3,c1] first convolution. */
  conv1: tf.Variable;
  /** [c1] its bias. */
  conv1b: tf.Variable;
  /** [3,3,c1,c2] second convolution. */
  conv2: tf.Variable;
  /** [c2] its bias. */
  conv2b: tf.Variable;
  /** [(patchSize/4)²·c2, H] projection to the transformer width. */
  proj: tf.Variable;
  /** [H] its bias. */
  projb: tf.Variable;
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

/** Patch inputs [B,P,D] (pixels for the CNN, backbone features otherwise) → patch features [B,P,H]. */
export function encodePatchInputs(p: PatchParams, cfg: ModelConfig, inputs: tf.Tensor3D): tf.Tensor3D {
  if (p.kind === "cnn") return encodePatches(p.cnn, cfg, inputs);
  const [batch, count, size] = inputs.shape;
  if (count !== numPatches(cfg) || size !== patchInputDim(cfg)) {
    throw new RangeError(`backbone features must be [B,${numPatches(cfg)},${patchInputDim(cfg)}], got [${inputs.shape.join(",")}]`);
  }
  return tf.tidy(() => {
    const out = dense(tf.reshape(inputs, [batch * count, size]) as tf.Tensor2D, p.backbone.proj as tf.Tensor2D, p.backbone.projb as tf.Tensor1D);
    return tf.reshape(out, [batch, count, cfg.hidden]) as tf.Tensor3D;
  });
}

/** Create the CNN's variables under `patch.*`. */
export function createPatchEncoder(store: ParamStore, cfg: ModelConfig): PatchEncoderParams {
  const [c1, c2] = cfg.cnnChannels;
  const flat = (cfg.patchSize / 4) ** 2 * c2;
  return {
    conv1: store.add("patch.conv1.w", [3, 3, 3, c1], he(27)),
    conv1b: store.add("patch.conv1.b", [c1], ZEROS),
    conv2: store.add("patch.conv2.w", [3, 3, c1, c2], he(9 * c1)),
    conv2b: store.add("patch.conv2.b", [c2], ZEROS),
    proj: store.add("patch.proj.w", [flat, cfg.hidden], NORMAL),
    projb: store.add("patch.proj.b", [cfg.hidden], ZEROS),
  };
}

/** 3×3 stride-1 "same" convolution whose gradients use forward conv2d only (wasm-safe and fast). */
export const conv3x3 = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
      // dx[n,y,x,ci] = Σ dy[n,y-ky+1,x-kx+1,co]·w[ky,kx,ci,co]: a conv with the flipped, transposed filter.
      const wFlip = tf.transpose(tf.reverse(sw, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const dx = tf.conv2d(dy as tf.Tensor4D, wFlip, 1, "same");
      // dW[ky,kx,ci,co] = Σ_{n,y,x} xpad[n,y+ky,x+kx,ci]·dy[n,y,x,co]: input channels become the batch,
      // the batch becomes channels, dy is the (S×S) kernel.
      const xp = tf.pad(sx, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]);
      const dw = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, "valid");
      return [dx, tf.transpose(dw, [1, 2, 0, 3])];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** patches [B,P,patchSize²·3] (HWC per patch) → patch features [B,P,H]. */
export function encodePatches(p: PatchEncoderParams, cfg: ModelConfig, patches: tf.Tensor3D): tf.Tensor3D {
  const [batch, count, size] = patches.shape;
  const s = cfg.patchSize;
  if (count !== numPatches(cfg) || size !== s * s * 3) {
    throw new RangeError(`patches must be [B,${numPatches(cfg)},${s * s * 3}], got [${patches.shape.join(",")}]`);
  }
  return tf.tidy(() => {
    const x = tf.reshape(patches, [batch * count, s, s, 3]) as tf.Tensor4D;
    const h1 = tf.avgPool(tf.relu(tf.add(conv3x3(x, p.conv1 as tf.Tensor4D), p.conv1b)) as tf.Tensor4D, 2, 2, "valid");
    const h2 = tf.avgPool(tf.relu(tf.add(conv3x3(h1, p.conv2 as tf.Tensor4D), p.conv2b)) as tf.Tensor4D, 2, 2, "valid");
    const flat = tf.reshape(h2, [batch * count, -1]);
    const out = dense(flat, p.proj as tf.Tensor2D, p.projb as tf.Tensor1D);
    return tf.reshape(out, [batch, count, cfg.hidden]) as tf.Tensor3D;
  });
}
