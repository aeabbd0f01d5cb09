// The Worker's fetch handler, shared by both entries: worker.ts (jieba's dictionary bundled, CJK
// queries answered at the edge) and worker-lite.ts (no dictionary: a bundle far under the free
// plan's 3 MiB, CJK queries forwarded). Builds the edge handler from the env at the first request.
import { ApiError, ConfigError } from "../http/index.ts";
import { consoleLogger, parseEdgeConfig, type EdgeEnv } from "./edge-config.ts";
import { createEdgeHandler, type EdgeHandler } from "./edge-handler.ts";
import { edgeErrorResponse } from "./forward.ts";
import { createEdgeStore } from "./kv-store.ts";
import { createSharedRateLimiter } from "./shared-rate-limit.ts";

/** What differs between the two entries. */
export interface WorkerOptions {
  /** Loads jieba's dictionary (idempotent), or null when the bundle has none. */
  dictionary: (() => void) | null;
}

/** The module Worker's default export. */
export function createWorker(opts: WorkerOptions): { fetch(request: Request, env: EdgeEnv): Promise<Response> } {
  let handler: EdgeHandler | null = null;
  const build = (env: EdgeEnv): EdgeHandler => {
    const config = parseEdgeConfig(env);
    if (config.keys.length === 0) consoleLogger.warn({}, "VITRINE_API_KEYS is empty: every retrieve answers 401");
    if (config.rateLimit && !env.RATE_LIMITER) consoleLogger.warn({}, "no RATE_LIMITER Durable Object bound: VITRINE_RATE_LIMIT holds per isolate only");
    const store = createEdgeStore({ kv: env.QIDS, pointerTtlMs: config.pointerTtlMs, qidCacheSize: config.qidCacheSize });
    const sharedRateLimiter = config.rateLimit && env.RATE_LIMITER ? createSharedRateLimiter(env.RATE_LIMITER, config.rateLimit) : null;
    return createEdgeHandler({ ...config, store, sharedRateLimiter, dictionary: opts.dictionary, logger: consoleLogger });
  };
  return {
    async fetch(request, env) {
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
}
