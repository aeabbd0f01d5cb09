import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryId, segment } from "../core/index.ts";

// core/ must give the same terms and qids in workerd as in Node: publish computes qids in Node,
// the edge computes them per request.
describe("core segmentation and qid under workerd (Miniflare)", () => {
  let mf: Miniflare;

  beforeAll(async () => {
    process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
    const bundle = await build({
      entryPoints: [join(import.meta.dirname, "fixtures", "segment-worker.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
      external: ["./jieba.wasm"],
    });
    // The package exports no ./package.json; resolve its node entry (pkg/nodejs/...) and step to pkg/web.
    const req = createRequire(import.meta.url);
    const wasmPath = join(dirname(dirname(req.resolve("jieba-wasm"))), "web", "jieba_rs_wasm_bg.wasm");
    mf = new Miniflare({
      compatibilityDate: "2026-04-01",
      modules: [
        { type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0]!.text },
        { type: "CompiledWasm", path: "jieba.wasm", contents: await readFile(wasmPath) },
      ],
    });
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it("segments CJK by dictionary and hashes to the same qid as Node", async () => {
    for (const q of ["红色连衣裙", "连衣裙 红色", "Nike运动鞋 Red", "red floral DRESS", "iphone15手机壳"]) {
      const res = await mf.dispatchFetch(`http://edge.test/?q=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { segments: string[]; qid: number; terms: string };
      expect(body.segments, q).toEqual(segment(q));
      expect({ qid: body.qid, terms: body.terms }, q).toEqual(queryId(q));
    }
    const r = (await (await mf.dispatchFetch(`http://edge.test/?q=${encodeURIComponent("红色连衣裙")}`)).json()) as { segments: string[] };
    expect(r.segments).toEqual(["红色", "连衣裙"]);
  });
});
