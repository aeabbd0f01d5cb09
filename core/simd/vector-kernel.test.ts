import { describe, expect, it } from "vitest";
import { compileKernel } from "../../test/support/build-dot-kernel.ts";
import { mulberry32 } from "../rng.ts";
import { exactTopK } from "../top-k.ts";
import { DOT_KERNEL_WASM } from "./dot-kernel-wasm.ts";
import { kernelSupported, VectorKernel, vectorKernelFor } from "./vector-kernel.ts";

// Unit vectors, some of them repeated (ties: equal scores must rank by lower row, as exactTopK does).
function unitVectors(n: number, dim: number, seed: number, repeats = 0): Float32Array {
  const r = mulberry32(seed);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = r() - 0.5;
      v[i * dim + j] = x;
      s += x * x;
    }
    s = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j] = v[i * dim + j]! / s;
  }
  for (let t = 0; t < repeats; t++) {
    const from = Math.floor(r() * n),
      to = Math.floor(r() * n);
    v.copyWithin(to * dim, from * dim, (from + 1) * dim);
  }
  return v;
}

describe("the SIMD vector kernel", () => {
  it("embeds exactly the binary dot-kernel.wat compiles to (regenerate with test/support/build-dot-kernel.ts)", async () => {
    const bytes = await compileKernel();
    expect(Buffer.from(bytes).toString("base64")).toBe(DOT_KERNEL_WASM);
  });

  it("ranks exactly as exactTopK: same rows, same float64 scores, same ties, over all rows or any candidate set", () => {
    const dim = 32,
      n = 3000;
    const vectors = unitVectors(n, dim, 7, 300);
    const kernel = vectorKernelFor(vectors, dim)!;
    expect(kernel).not.toBeNull();
    const r = mulberry32(11);
    for (let t = 0; t < 30; t++) {
      // Queries: item vectors (exact duplicates score equal) and fresh ones.
      const q = t % 2 === 0 ? vectors.slice(((t * 97) % n) * dim, (((t * 97) % n) + 1) * dim) : unitVectors(1, dim, 100 + t);
      const k = [1, 10, 100, 200, 700][t % 5]!;
      const rows = t % 3 === 0 ? null : Uint32Array.from(new Set(Array.from({ length: 1500 + (t % 4) * 300 }, () => Math.floor(r() * n))));
      expect(kernel.topK(q, k, rows)).toEqual(exactTopK(vectors, dim, q, k, rows, n));
    }
  });

  it("keeps the vectors in its own memory: writing them there is what it scans", () => {
    const dim = 16;
    const k = new VectorKernel({ n: 2048, dim });
    k.vectors.set(unitVectors(2048, dim, 3));
    const q = k.vectors.slice(5 * dim, 6 * dim);
    expect(k.topK(q, 1, null)[0]!.row).toBe(5);
    k.vectors.copyWithin(1000 * dim, 5 * dim, 6 * dim);
    expect(k.topK(q, 2, null).map((h) => h.row)).toEqual([5, 1000]);
  });

  it("refuses what it cannot run: a dimension that is not a multiple of 16", () => {
    expect(kernelSupported(100, 24)).toBe(false);
    expect(vectorKernelFor(new Float32Array(24 * 100), 24)).toBeNull();
    expect(() => new VectorKernel({ n: 100, dim: 24 })).toThrow(/multiple of 16/);
    expect(kernelSupported(100, 32)).toBe(true);
  });
});
