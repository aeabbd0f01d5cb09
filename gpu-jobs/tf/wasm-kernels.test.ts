import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.ts";

// selectBackend installs the sharing Identity and Cast when it starts wasm.
describe("wasm Identity and same-dtype Cast share memory", () => {
  beforeAll(async () => {
    await selectBackend({ prefer: "wasm" });
  });

  const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

  it("clone and cast allocate no buffer, and keep their values when the source goes away", () => {
    expect(tf.getBackend()).toBe("wasm");
    const x = tf.tensor1d([1.5, -2, 3]);
    const before = ids();
    const c = tf.clone(x);
    const f = tf.cast(x, "float32");
    expect(ids()).toBe(before);
    x.dispose();
    expect([...c.dataSync()]).toEqual([1.5, -2, 3]);
    expect([...f.dataSync()]).toEqual([1.5, -2, 3]);
    tf.dispose([c, f]);
  });

  it("a variable's assign after a clone leaves the clone's values alone (no in-place writes)", () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const saved = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect([...saved.dataSync()]).toEqual([1, 2, 3]);
    expect([...v.dataSync()]).toEqual([7, 8, 9]);
    tf.dispose([v, saved]);
  });

  it("a cast to another dtype still converts, and gradients through clones are unchanged", () => {
    const i = tf.tensor1d([1.7, -2.2], "float32");
    expect([...tf.cast(i, "int32").dataSync()]).toEqual([1, -2]);
    expect([...tf.cast(tf.tensor1d([3, 4], "int32"), "float32").dataSync()]).toEqual([3, 4]);
    const w = tf.variable(tf.tensor1d([2, 3]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.mul(w, w), tf.clone(w))) as tf.Scalar, [w]);
    expect([...grads[w.name]!.dataSync()]).toEqual([12, 27]); // d(w³)/dw = 3w²
  });

  it("data is freed once the last sharer is disposed", () => {
    const start = ids();
    const x = tf.tensor1d([1, 2]);
    const c = tf.clone(x);
    expect(ids()).toBe(start + 1); // one buffer for both
    x.dispose();
    expect(ids()).toBe(start + 1);
    c.dispose();
    expect(ids()).toBe(start);
  });
});
