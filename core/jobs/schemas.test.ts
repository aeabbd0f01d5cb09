import { describe, expect, it } from "vitest";
import { JobConfigSchema } from "./schemas.ts";

describe("JobConfigSchema", () => {
  it("takes an image encoder for pre-training as the path of an .onnx file", () => {
    expect(JobConfigSchema.parse({ pretrain: { imageEncoder: "/models/resnet18.onnx", fusion: "fusion" } }).pretrain?.imageEncoder).toBe("/models/resnet18.onnx");
    const bad = JobConfigSchema.safeParse({ pretrain: { imageEncoder: "/models/resnet18.json" } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ["pretrain", "imageEncoder"], message: "imageEncoder must be the path of an .onnx file (its .json beside it)" });
    expect(JobConfigSchema.safeParse({ pretrain: { imageEncoders: "/m.onnx" } }).success).toBe(false);
  });
});
