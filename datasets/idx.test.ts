import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseIdx, readIdxGz } from "./idx.ts";

function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

describe("IDX reader", () => {
  it("parses dims and data", () => {
    const a = readIdxGz(gzipSync(idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])), 3, "x");
    expect(a.dims).toEqual([2, 2, 2]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("rejects a wrong magic, type, rank or length with FASHION_MNIST_CORRUPT", () => {
    const bad = Buffer.from(idx([2], [1, 2]));
    bad[0] = 1;
    expect(() => parseIdx(bad, 1, "x")).toThrow(expect.objectContaining({ code: "FASHION_MNIST_CORRUPT" }));
    expect(() => parseIdx(idx([2], [1, 2], 0x0d), 1, "x")).toThrow(/unsigned byte/);
    expect(() => parseIdx(idx([2], [1, 2]), 3, "x")).toThrow(/expected 3/);
    expect(() => parseIdx(idx([3], [1, 2]), 1, "x")).toThrow(/header says 3/);
    expect(() => readIdxGz(Buffer.from("not gzip"), 1, "x")).toThrow(/gzip/);
  });
});
