// Cloudflare Workers entry (wrangler.toml's `main`): the edge with jieba's dictionary, so queries
// with Han characters are segmented and answered here too. The dictionary's wasm is most of the
// bundle (≈ 2.8 of its ≈ 2.9 MiB gzipped: under the free plan's 3 MiB, barely — test/edge-bundle.test.ts
// keeps the budget); a shop without CJK queries can deploy worker-lite.ts instead.
import { initSync } from "jieba-wasm/web";
// A CompiledWasm module (wrangler.toml [[rules]]): a WebAssembly.Module, not bytes.
import jiebaWasm from "../../node_modules/jieba-wasm/pkg/web/jieba_rs_wasm_bg.wasm";
import { createWorker } from "./worker-entry.ts";

// Instantiated on the first query with Han characters, not at start: Latin-only traffic never pays for it.
let ready = false;

export default createWorker({
  dictionary: () => {
    if (ready) return;
    initSync({ module: jiebaWasm as WebAssembly.Module });
    ready = true;
  },
});

// The per-key rate limit's Durable Object class (wrangler.toml [[durable_objects.bindings]]).
export { EdgeRateLimiter } from "./shared-rate-limit.ts";
