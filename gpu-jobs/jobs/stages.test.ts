// The publish stage as a job runs it: the job config's publish options reach publish.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobConfigSchema, type JobConfig } from "../../core/jobs/index.ts";
import { openRelease } from "../../lancedb/index.ts";
import { importedShop } from "../../lancedb/test-fixtures.ts";
import { STAGES, type StageContext } from "./stages.ts";

let shop: Awaited<ReturnType<typeof importedShop>>;
beforeAll(async () => {
  shop = await importedShop({ items: 400, queries: 200, seed: 3, evalFraction: 0.3 });
});
afterAll(() => shop.cleanup());

function context(config: JobConfig, logs: string[]): StageContext {
  // No exported model in modelDir: the stage publishes with the hash encoder, as a publish job does.
  const modelDir = join(shop.dataDir, "no-model");
  return { paths: { dataDir: shop.dataDir, pretrainDir: modelDir, finetuneDir: modelDir, modelDir }, config, resume: false, report: () => {}, log: (l) => logs.push(l), gate: null };
}

describe("publish stage", () => {
  it("fits the prior by default and leaves it out with publish.prior: false, as the CLI's --no-prior does", async () => {
    const logs: string[] = [];
    const on = await STAGES.publish(context(JobConfigSchema.parse({ publish: { edge: false, topK: 20 } }), logs));
    expect(on).toMatchObject({ state: "succeeded", release: "r001" });
    const onFit = (await openRelease(shop.dataDir, "r001")).retrieval.fit!;
    expect(onFit.queries).toBeGreaterThanOrEqual(10);
    expect(onFit.priorGrid!.map((g) => g.prior)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);

    const off = await STAGES.publish(context(JobConfigSchema.parse({ publish: { edge: false, topK: 20, prior: false } }), logs));
    expect(off).toMatchObject({ state: "succeeded", release: "r002", metrics: { active: "yes" } });
    const offRel = (await openRelease(shop.dataDir, "r002")).retrieval;
    expect(offRel.fit!.grid.length).toBeGreaterThan(0);
    expect(offRel.fit!.priorGrid).toBeUndefined();
    expect(offRel.blend.prior).toBeUndefined();
    expect(logs.join("\n")).toMatch(/hash encoder/);
  }, 120_000);
});
