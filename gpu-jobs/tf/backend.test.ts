import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { TrainError } from "../errors.ts";
import { currentBackend, selectBackend } from "./backend.ts";

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const hasNative = installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu");

describe("selectBackend", () => {
  it.skipIf(hasNative)("selects wasm by default here, logs why the native ones were skipped, and is idempotent", async () => {
    const lines: string[] = [];
    const a = await selectBackend({ log: (m) => lines.push(m) });
    expect(a.name).toBe("wasm");
    expect(a.tf.getBackend()).toBe("wasm");
    expect(a.skipped.map((s) => s.split(":")[0])).toEqual(["node-gpu", "node"]);
    expect(lines.join("\n")).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(lines.at(-1)).toMatch(/^tf backend: wasm/);
    const b = await selectBackend();
    expect(b).toBe(a);
    expect(currentBackend()).not.toBeNull();
    // wasm computes.
    const y = a.tf.tidy(() => a.tf.matMul(a.tf.ones([2, 3]), a.tf.ones([3, 2])).dataSync());
    expect([...y]).toEqual([3, 3, 3, 3]);
  });

  it.skipIf(hasNative)("prefer node fails with BACKEND_UNAVAILABLE naming the package, and keeps the earlier selection", async () => {
    const before = await selectBackend();
    const err = await selectBackend({ prefer: "node" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect((err as TrainError).code).toBe("BACKEND_UNAVAILABLE");
    expect((err as TrainError).message).toMatch(/npm install @tensorflow\/tfjs-node\b/);
    expect(await selectBackend()).toBe(before);
  });

  it("prefer cpu gives cpu, and asking again returns the same selection", async () => {
    const lines: string[] = [];
    const c = await selectBackend({ prefer: "cpu", log: (m) => lines.push(m) });
    expect(c.name).toBe("cpu");
    expect(c.tf.getBackend()).toBe("cpu");
    expect(lines).toEqual(["tf backend: cpu (requested)"]);
    expect(await selectBackend({ prefer: "cpu" })).toBe(c);
    expect(await selectBackend()).toBe(c);
  });
});
