// Convolution and pooling shaped for the tfjs wasm backend (the patch CNN's ops), with gradients
// made of kernels wasm runs fast:
// - wasm has Conv2D (XNNPACK) but no Conv2DBackpropFilter, and its Conv2DBackpropInput is a slow
//   loop (110 ms vs 9 ms forward at 1024×16×16×3→16). So the 3×3 convolution carries its own
//   gradient made of forward convolutions only: dx = conv(dy, flipped Wᵀ); dW = conv(xᵀ, dyᵀ) with
//   the batch folded into channels. im2col (9 slices + concat, or a one-hot depthwise conv + one
//   matMul) was slower than either: wasm's rank-4 Slice and last-axis Concat are slow loops.
// - When the input is data (the first layer's pixels), the input gradient is never computed.
// - wasm's AvgPoolGrad is a slow loop; a 2×2 average pool's gradient is the upsampled gradient ×¼,
//   which ResizeNearestNeighbor does 4–5× faster (bit-identical).
import * as tf from "@tensorflow/tfjs";

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  // dW[ky,kx,ci,co] = Σ_{n,y,x} xpad[n,y+ky,x+kx,ci]·dy[n,y,x,co]: input channels become the batch,
  // the batch becomes channels, dy is the (S×S) kernel.
  const xp = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const dw = tf.conv2d(tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, "valid");
  return tf.transpose(dw, [1, 2, 0, 3]);
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
      return [tf.conv2d(dy as tf.Tensor4D, wFlip, 1, "same"), filterGradient(sx, dy as tf.Tensor4D)];
    },
  };
}) as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** conv3x3 of data that takes no gradient (pixels): only the filter gets one, the input-gradient convolution never runs. */
export function conv3x3OfInput(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  // x is captured, not passed: it is not a tape input. Saved, so it outlives the caller's tidy.
  const op = tf.customGrad((wt, save) => {
    (save as tf.GradSaveFunc)([x]);
    return {
      value: tf.conv2d(x, wt as tf.Tensor4D, 1, "same"),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [filterGradient(saved[0] as tf.Tensor4D, dy as tf.Tensor4D)],
    };
  }) as (wt: tf.Tensor4D) => tf.Tensor4D;
  return op(w);
}

/** 2×2 stride-2 average pooling of x [N,H,W,C] (H, W even) whose gradient is a nearest-neighbour upsample ×¼. */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new RangeError(`avgPool2: height and width must be even, got ${h}×${w}`);
  return avgPool2Op(x);
}

const avgPool2Op = tf.customGrad((x) => {
  const [, h, w] = (x as tf.Tensor4D).shape;
  return {
    value: tf.avgPool(x as tf.Tensor4D, 2, 2, "valid"),
    gradFunc: (dy: tf.Tensor) => tf.mul(tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, [h, w]), 0.25),
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;
