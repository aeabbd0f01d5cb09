// Read a live model's variables into plain arrays for the graph builders.
import type { Model } from "../model/towers.ts";
import type { Weight, WeightMap } from "./graph-ops.ts";

/** Every variable of the model by stable name, copied to Float32Arrays. */
export function modelWeights(model: Pick<Model, "variables">): WeightMap {
  const out = new Map<string, Weight>();
  for (const [name, v] of model.variables) {
    const data = v.dataSync();
    out.set(name, { shape: [...v.shape], values: data instanceof Float32Array ? data.slice() : Float32Array.from(data) });
  }
  return out;
}
