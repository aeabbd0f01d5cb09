import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHashEncoder, type TextEmbedder } from "../core/index.ts";
import { writeEmbedState } from "./embeddings.ts";
import { publishTrainedModel } from "./publish-trained.ts";
import { importedShop } from "./test-fixtures.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 40, queries: 10 });
});
afterAll(() => shop.cleanup());

// The query tower of the export being published (the loaders are the store's seam to encoders/).
const loaders = (createdAt: string) => ({
  snapshotModel: async (_dataDir: string, modelDir: string) => modelDir,
  createQueryEncoder: async (): Promise<TextEmbedder> => ({ ...createHashEncoder(), config: { modelDir: "/m", createdAt } }),
});

describe("publishTrainedModel", () => {
  it("refuses item vectors embedded with another export than the one published", async () => {
    await writeEmbedState(shop.dataDir, { modelDir: "/m-old", createdAt: "2026-01-01T00:00:00.000Z", state: "complete", items: 40 });
    const e = publishTrainedModel({ dataDir: shop.dataDir, modelDir: "/m", onnx: loaders("2026-02-02T00:00:00.000Z") });
    await expect(e).rejects.toMatchObject({ code: "EMBEDDINGS_STALE", kind: "conflict" });
    await expect(publishTrainedModel({ dataDir: shop.dataDir, modelDir: "/m", onnx: loaders("2026-02-02T00:00:00.000Z") })).rejects.toThrow(
      /made with the model exported at 2026-01-01.*not the one being published \(exported at 2026-02-02.*run `vitrine embed --data .* --model \/m` first/,
    );
  });
});
