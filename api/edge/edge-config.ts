// The Worker's configuration from its env (wrangler.toml vars and secrets), parsed with zod at the
// first request; a bad value throws ConfigError naming the variable. Keys, rate limit and body
// limit use the origin's parser (api/http/config.ts), so VITRINE_API_KEYS has one format everywhere.
import { z } from "zod";
import { ConfigError, parseConfig, type ApiKey, type AppLogger, type RateLimitOptions } from "../http/index.ts";
import type { KvNamespaceReader } from "./kv-store.ts";
import type { DurableObjectNamespaceLike } from "./shared-rate-limit.ts";

/** The Worker's bindings (see wrangler.toml). */
export interface EdgeEnv {
  /** Workers KV namespace with the pushed releases. */
  QIDS: KvNamespaceReader;
  /** Origin API base URL (var). */
  ORIGIN_URL?: string;
  /** API keys, id:key:role,... (secret: `wrangler secret put VITRINE_API_KEYS`). */
  VITRINE_API_KEYS?: string;
  /** Origins per key id, id=ORIGIN [ORIGIN...];... (var; the origin's format). */
  VITRINE_KEY_ORIGINS?: string;
  /** Web origins allowed to call from a browser (CORS), comma-separated, or * (var). */
  VITRINE_CORS_ORIGINS?: string;
  /** Base URL of image links in edge answers (var; default ORIGIN_URL, which serves /v1/images). */
  VITRINE_PUBLIC_BASE_URL?: string;
  /** The EdgeRateLimiter Durable Object (wrangler.toml): holds VITRINE_RATE_LIMIT across isolates; absent, the limit is per isolate. */
  RATE_LIMITER?: DurableObjectNamespaceLike;
  /** Per-key rate limit of edge answers, PER_SECOND:BURST or off (var): across isolates with RATE_LIMITER, else per isolate. */
  VITRINE_RATE_LIMIT?: string;
  /** Per-client-address limit (CF-Connecting-IP) of requests without a usable key, per isolate, PER_SECOND:BURST or off (var; default 10:20). */
  VITRINE_UNAUTH_RATE_LIMIT?: string;
  /** Largest request body in bytes (var). */
  VITRINE_MAX_BODY_BYTES?: string;
  /** max-age of edge answers in seconds (var; default 30, 0 = no-store). */
  EDGE_CACHE_MAX_AGE?: string;
  /** How long an isolate trusts the `active` pointer, ms (var; default 2000). */
  EDGE_POINTER_TTL_MS?: string;
  /** qid values cached per isolate (var; default 256). */
  EDGE_QID_CACHE?: string;
}

/** The parsed configuration. */
export interface EdgeConfig {
  /** Origin base URL. */
  originUrl: string;
  /** API keys. */
  keys: ApiKey[];
  /** CORS origins besides the keys' own. */
  corsOrigins: string[];
  /** Base URL of image links (null: ORIGIN_URL). */
  publicBaseUrl: string | null;
  /** Rate limit of edge answers (null: off). */
  rateLimit: RateLimitOptions | null;
  /** Per-address limit of requests without a usable key (null: off). */
  unauthRateLimit: RateLimitOptions | null;
  /** Body limit. */
  maxBodyBytes: number;
  /** max-age of edge answers, seconds. */
  cacheMaxAge: number;
  /** Pointer TTL, ms. */
  pointerTtlMs: number;
  /** qid cache size. */
  qidCacheSize: number;
}

const wholeNumber = (name: string, dflt: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const n = Number(v.trim());
      if (!/^\d+$/.test(v.trim()) || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number 0–${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const EdgeVarsSchema = z.object({
  ORIGIN_URL: z
    .string({ error: "ORIGIN_URL is not set: the origin API's base URL (wrangler.toml [vars])" })
    .refine((v) => /^https?:\/\/[^/\s]+/.test(v.trim()), { error: "ORIGIN_URL must be an http(s) URL, e.g. https://api.example.com" }),
  EDGE_CACHE_MAX_AGE: wholeNumber("EDGE_CACHE_MAX_AGE", 30, 86_400),
  EDGE_POINTER_TTL_MS: wholeNumber("EDGE_POINTER_TTL_MS", 2_000, 600_000),
  EDGE_QID_CACHE: wholeNumber("EDGE_QID_CACHE", 256, 100_000),
});

/** Parse the Worker's env; throws ConfigError naming the bad variable. */
export function parseEdgeConfig(env: EdgeEnv): EdgeConfig {
  if (!env.QIDS || typeof env.QIDS.get !== "function") throw new ConfigError('the KV binding QIDS is missing (wrangler.toml [[kv_namespaces]] binding = "QIDS")');
  const vars = EdgeVarsSchema.safeParse(env);
  if (!vars.success) throw new ConfigError(vars.error.issues.map((i) => i.message).join("; "));
  const base = parseConfig({
    VITRINE_API_KEYS: env.VITRINE_API_KEYS,
    VITRINE_KEY_ORIGINS: env.VITRINE_KEY_ORIGINS,
    VITRINE_CORS_ORIGINS: env.VITRINE_CORS_ORIGINS,
    VITRINE_PUBLIC_BASE_URL: env.VITRINE_PUBLIC_BASE_URL,
    VITRINE_RATE_LIMIT: env.VITRINE_RATE_LIMIT,
    VITRINE_UNAUTH_RATE_LIMIT: env.VITRINE_UNAUTH_RATE_LIMIT,
    VITRINE_MAX_BODY_BYTES: env.VITRINE_MAX_BODY_BYTES,
  });
  return {
    originUrl: vars.data.ORIGIN_URL.trim().replace(/\/+$/, ""),
    keys: base.keys,
    corsOrigins: base.corsOrigins,
    publicBaseUrl: base.publicBaseUrl,
    rateLimit: base.rateLimit,
    unauthRateLimit: base.unauthRateLimit,
    maxBodyBytes: base.maxBodyBytes,
    cacheMaxAge: vars.data.EDGE_CACHE_MAX_AGE,
    pointerTtlMs: vars.data.EDGE_POINTER_TTL_MS,
    qidCacheSize: vars.data.EDGE_QID_CACHE,
  };
}

function plain(fields: Record<string, unknown>): string {
  return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v));
}

/** Workers logs: warnings and errors as JSON lines (per-request lines would only add cost). */
export const consoleLogger: AppLogger = {
  info() {},
  warn: (fields, msg) => console.warn(plain({ level: "warn", msg, ...fields })),
  error: (fields, msg) => console.error(plain({ level: "error", msg, ...fields })),
};
