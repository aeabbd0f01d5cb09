// FlatAdam is tf.train.adam bit for bit (weights and both moments), split over ranges it equals
// one update of the whole vector, and a checkpoint round trip continues exactly.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/index.ts";
import { selectBackend } from "../tf/backend.ts";
import { FlatAdam, type FlatVariable } from "./flat-adam.ts";

const SHAPES = [[7, 5], [5], [3, 2, 4], []] as const;

function makeVars(seed: number): tf.Variable[] {
  const rng = mulberry32(seed);
  return SHAPES.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(
      tf.tensor(
        Float32Array.from({ length: size }, () => rng() * 2 - 1),
        [...shape],
      ),
    );
  });
}

const layout = (vars: tf.Variable[]): FlatVariable[] => vars.map((v) => ({ name: v.name, shape: v.shape, size: v.size }));

// Step s's gradients: variable 1 gets none at step 2 (zeros, as the loops pass for an untouched variable).
function gradsAt(vars: tf.Variable[], s: number): Float32Array[] {
  const rng = mulberry32(1000 + s);
  return vars.map((v, i) => (i === 1 && s === 2 ? new Float32Array(v.size) : Float32Array.from({ length: v.size }, () => (rng() * 2 - 1) * 10 ** (i - 2))));
}

const flat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

beforeAll(async () => {
  await selectBackend({ prefer: "wasm" });
});

describe("FlatAdam", () => {
  it("equals tf.train.adam bit for bit: weights, moments, with and without a clipping scale", async () => {
    const ref = makeVars(1);
    const mine = makeVars(1);
    const adam = tf.train.adam(3e-3);
    const flatAdam = new FlatAdam(layout(mine), { lr: 3e-3 });
    flatAdam.readVariables(mine);
    const start = Float32Array.from(flatAdam.weights);
    for (let s = 0; s < 6; s++) {
      const g = gradsAt(ref, s);
      const scale = s % 2 ? 0.37 : 1; // as the one-worker loop clips: tf.mul(g, scale)
      const named: Record<string, tf.Tensor> = {};
      ref.forEach((v, i) => {
        named[v.name] = tf.tidy(() => (scale === 1 ? tf.tensor(g[i]!, v.shape) : tf.mul(tf.tensor(g[i]!, v.shape), scale)));
      });
      adam.applyGradients(named as unknown as Parameters<typeof adam.applyGradients>[0]);
      tf.dispose(Object.values(named));
      flatAdam.update(flat(g), 0, flatAdam.size, Math.fround(scale));
      flatAdam.writeVariables(mine);
    }
    expect(bits(flat(mine.map((v) => v.dataSync() as Float32Array)))).toEqual(bits(flat(ref.map((v) => v.dataSync() as Float32Array))));
    const want = await adam.getWeights();
    const got = await flatAdam.getWeights();
    const names = (vs: tf.Variable[]) => ["iter", ...vs.map((v) => `${v.name}/m`), ...vs.map((v) => `${v.name}/v`)];
    expect(want.map((x) => x.name)).toEqual(names(ref));
    expect(got.map((x) => x.name)).toEqual(names(mine));
    for (const [i, w] of want.entries()) expect(bits(Float32Array.from(got[i]!.tensor.dataSync())), w.name).toEqual(bits(Float32Array.from(w.tensor.dataSync())));
    expect(Math.max(...flatAdam.weights.map((x, i) => Math.abs(x - start[i]!)))).toBeGreaterThan(1e-3); // it trained
    tf.dispose([...ref, ...mine, ...got.map((x) => x.tensor)]);
    adam.dispose();
  });

  it("two ranges over shared vectors equal one update of the whole vector", () => {
    const vars = makeVars(2);
    const whole = new FlatAdam(layout(vars), { lr: 1e-2 });
    whole.readVariables(vars);
    const state = { m: new Float32Array(whole.size), v: new Float32Array(whole.size), weights: new Float32Array(whole.size) };
    const halves = [new FlatAdam(layout(vars), { lr: 1e-2, state }), new FlatAdam(layout(vars), { lr: 1e-2, state })];
    const cut = 23; // inside the first variable: ranges need not follow variable boundaries
    halves[0]!.readVariables(vars, 0, cut);
    halves[1]!.readVariables(vars, cut, whole.size);
    for (let s = 0; s < 4; s++) {
      const g = flat(gradsAt(vars, s));
      whole.update(g, 0, whole.size, 0.5);
      halves[0]!.update(g, 0, cut, 0.5);
      halves[1]!.update(g, cut, whole.size, 0.5);
    }
    expect(bits(state.weights)).toEqual(bits(whole.weights));
    expect(bits(state.m)).toEqual(bits(whole.m));
    expect(bits(state.v)).toEqual(bits(whole.v));
    tf.dispose(vars);
  });

  it("a checkpoint round trip (by ranges) continues exactly; mismatched slots are refused", async () => {
    const vars = makeVars(3);
    const a = new FlatAdam(layout(vars), { lr: 1e-2 });
    a.readVariables(vars);
    for (let s = 0; s < 3; s++) a.update(flat(gradsAt(vars, s)));
    const saved = (await a.getWeights()).map((x) => ({ name: x.name, values: Float32Array.from(x.tensor.dataSync()), tensor: x.tensor }));
    const b = new FlatAdam(layout(vars), { lr: 1e-2 });
    b.restore(saved, a.acc, 0, 10);
    b.restore(saved, a.acc, 10, b.size);
    b.weights.set(a.weights);
    for (let s = 3; s < 6; s++) {
      a.update(flat(gradsAt(vars, s)));
      b.update(flat(gradsAt(vars, s)));
    }
    expect(b.iterations).toBe(6);
    expect(bits(b.weights)).toEqual(bits(a.weights));
    expect(() => b.restore(saved.slice(0, 3), null)).toThrow(/Adam slots for 1 variables but the run trains 4/);
    expect(() => b.restore(saved.slice(1), null)).toThrow(/not iter/);
    expect(() => a.update(new Float32Array(3))).toThrow(RangeError);
    tf.dispose([...vars, ...saved.map((x) => x.tensor)]);
  });
});
