// Cloudflare Workers entry (wrangler.toml): the edge handler over the KV binding, built from the
// env at the first request. Thin by design: the logic is in the modules beside it.
import { initSync } from "jieba-wasm/web";
// A CompiledWasm module (wrangler.toml [[rules]]): a WebAssembly.Module, not bytes.
import jiebaWasm from "../../node_modules/jieba-wasm/pkg/web/jieba_rs_wasm_bg.wasm";
import { ApiError, ConfigError } from "../http/index.ts";
import { consoleLogger, createEdgeHandler, createEdgeStore, parseEdgeConfig, type EdgeEnv, type EdgeHandler } from "./index.ts";
import { edgeErrorResponse } from "./forward.ts";

let handler: EdgeHandler | null = null;

function build(env: EdgeEnv): EdgeHandler {
  // core/segment.ts cuts Han text with jieba; in Workers its wasm arrives as a compiled module.
  initSync({ module: jiebaWasm as WebAssembly.Module });
  const config = parseEdgeConfig(env);
  if (config.keys.length === 0) consoleLogger.warn({}, "VITRINE_API_KEYS is empty: every retrieve answers 401");
  const store = createEdgeStore({ kv: env.QIDS, pointerTtlMs: config.pointerTtlMs, qidCacheSize: config.qidCacheSize });
  return createEdgeHandler({ ...config, store, logger: consoleLogger });
}

export default {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    try {
      handler ??= build(env);
    } catch (e) {
      // A misconfigured Worker says so in its logs; clients get the generic 500 every bug gets.
      consoleLogger.error({ err: e }, e instanceof ConfigError ? "bad Worker configuration" : "Worker failed to start");
      const requestId = crypto.randomUUID();
      return edgeErrorResponse(new URL(request.url).pathname, new ApiError("INTERNAL", `internal error; the edge logged it — quote the requestId when reporting it`), requestId);
    }
    return handler.fetch(request);
  },
};
