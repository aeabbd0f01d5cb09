// Argument checks shared by the losses and the negative samplers. A bad config value (a
// temperature, a weight) is the user's to fix → TrainError BAD_OPTION; a tensor of the wrong
// shape is a bug in the caller → RangeError, as in tf/fast-ops.ts.
import type * as tf from "@tensorflow/tfjs";
import { TrainError } from "../errors.ts";

/** Throw BAD_OPTION unless `value` is a finite number > 0. */
export function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TrainError("BAD_OPTION", `${name} must be a finite number > 0; got ${value}`);
  }
}

/** Throw BAD_OPTION unless `value` is a finite number ≥ 0. */
export function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new TrainError("BAD_OPTION", `${name} must be a finite number >= 0; got ${value}`);
  }
}

/** Throw RangeError unless `t` has exactly this shape (null matches any size on that axis). */
export function requireShape(name: string, t: tf.Tensor, shape: readonly (number | null)[]): void {
  const ok = t.rank === shape.length && shape.every((d, i) => d === null || t.shape[i] === d);
  if (!ok) {
    const want = `[${shape.map((d) => (d === null ? "?" : d)).join(",")}]`;
    throw new RangeError(`${name} must have shape ${want}; got [${t.shape.join(",")}]`);
  }
}

/** Throw RangeError unless `t` is int32. */
export function requireInt32(name: string, t: tf.Tensor): void {
  if (t.dtype !== "int32") throw new RangeError(`${name} must be int32; got ${t.dtype}`);
}

/** Throw RangeError unless the id array has `n` entries. */
export function requireLength(name: string, ids: ArrayLike<number>, n: number): void {
  if (ids.length !== n) throw new RangeError(`${name} must have ${n} entries; got ${ids.length}`);
}
