// Weights as named tf.Variables initialised in JS from a seeded PRNG, so the same seed gives
// bit-identical weights on every backend. Each variable's stream is seeded from (seed, name):
// adding a variable never shifts the others' values.
import { mulberry32 } from "../../core/index.ts";
import * as tf from "@tensorflow/tfjs";

/** How a weight starts. */
export type Init =
  | { kind: "zeros" }
  | { kind: "ones" }
  /** Normal(0, std), truncated at 2 std like BERT's initialiser. */
  | { kind: "normal"; std: number };

/** mulberry32 (the project's PRNG, core/rng.ts), re-exported for the model's initialisers. */
export { mulberry32 };

/** FNV-1a hash of a string mixed with a seed. */
export function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Values of one weight from its init rule and its own seeded stream. */
export function initValues(size: number, init: Init, seed: number): Float32Array {
  const out = new Float32Array(size);
  if (init.kind === "ones") out.fill(1);
  if (init.kind !== "normal") return out;
  const rand = mulberry32(seed);
  for (let i = 0; i < size; i++) {
    let z: number;
    do {
      // Box–Muller; 1 - u keeps log() finite.
      z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    } while (Math.abs(z) > 2);
    out[i] = z * init.std;
  }
  return out;
}

/** Creates and owns the model's variables under stable names. */
export class ParamStore {
  /** Variables by stable name (for checkpoints and export). */
  readonly variables = new Map<string, tf.Variable>();

  constructor(private readonly seed: number) {}

  /** A new trainable variable; names must be unique. */
  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.variables.has(name)) throw new RangeError(`duplicate model variable ${name}`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = initValues(size, init, hashSeed(this.seed, name));
    // tf.variable names are process-global; ours live only in the Map so two models can coexist.
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), true));
    this.variables.set(name, v);
    return v;
  }

  /** Dispose every variable. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

/** Normal init with BERT's std. */
export const NORMAL: Init = { kind: "normal", std: 0.02 };
/** Zeros (biases, LayerNorm beta). */
export const ZEROS: Init = { kind: "zeros" };
/** Ones (LayerNorm gamma). */
export const ONES: Init = { kind: "ones" };
/** He-normal init for a ReLU layer of the given fan-in. */
export function he(fanIn: number): Init {
  return { kind: "normal", std: Math.sqrt(2 / fanIn) };
}
