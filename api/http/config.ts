// Server configuration: a JSON file (optional) overlaid with VITRINE_* environment variables, all
// parsed with zod at start. A bad value throws a ConfigError naming the variable or file field.
// Runtime-agnostic (the caller reads the file), so a Worker can parse its env the same way.
import { z } from "zod";
import { CodedError, formatIssues, LIMITS, zodIssues, type ErrorKind } from "../../core/index.ts";

/** A configuration value that cannot be used; the message names where it came from. */
export class ConfigError extends CodedError<"BAD_CONFIG"> {
  override readonly name = "ConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_CONFIG", message, options);
  }
  get kind(): ErrorKind {
    return "input";
  }
}

/** A web origin as browsers send it: scheme, host and port only (https://shop.example, http://127.0.0.1:3000). */
export const OriginSchema = z.string().transform((v, ctx) => {
  const origin = normalizeOrigin(v);
  if (origin === null) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v.slice(0, 100))} is not a web origin; write scheme://host[:port] with nothing after it, e.g. https://shop.example` });
    return z.NEVER;
  }
  return origin;
});

/** The origin a browser would send for `v` (lower-case host, default port dropped), or null when `v` is not a bare http(s) origin. */
export function normalizeOrigin(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    return null;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return null;
  return u.origin;
}

/** One API key as configured. */
export const ApiKeySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "key id must be 1–64 letters, digits, '_', '.' or '-'" }),
  key: z
    .string()
    .min(16, { error: "key must be at least 16 characters (generate one: openssl rand -hex 24)" })
    .max(256, { error: "key must be at most 256 characters" })
    .regex(/^[\x21-\x7e]+$/, { error: "key must be printable ASCII without spaces" }),
  role: z.enum(["read", "admin", "search"], { error: 'role must be "read", "admin" or "search"' }),
  /** Web origins the key may be used from (a search key shipped in a storefront page); absent: any. */
  origins: z.array(OriginSchema).max(100, { error: "at most 100 origins per key" }).optional(),
});

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive({ error: `${what} must be > 0` });

/** The whole server configuration. */
export const ServerConfigSchema = z
  .object({
    keys: z.array(ApiKeySchema).default([]),
    port: z.int({ error: "port must be a whole number" }).min(0).max(65_535, { error: "port must be 0–65535" }).default(8787),
    host: z.string().min(1).default("127.0.0.1"),
    dataDir: z.string().min(1).optional(),
    rateLimit: z
      .object({ perSecond: positive("rateLimit.perSecond"), burst: z.int().min(1, { error: "rateLimit.burst must be ≥ 1" }) })
      .nullable()
      .default({ perSecond: 50, burst: 100 }),
    /**
     * Per-client-address limit of requests without a usable key (none, unknown, malformed) to
     * anything but /healthz, /v1/openapi.json and a public /metrics: key guessing and keyless
     * floods get 429 RATE_LIMITED with Retry-After; keyed clients never touch these buckets.
     */
    unauthRateLimit: z
      .object({ perSecond: positive("unauthRateLimit.perSecond"), burst: z.int().min(1, { error: "unauthRateLimit.burst must be ≥ 1" }) })
      .nullable()
      .default({ perSecond: 10, burst: 20 }),
    /**
     * How many proxies of yours sit in front of the server: 0 (default) limits by the socket's
     * peer address and ignores X-Forwarded-For (a client can write anything there); n ≥ 1 takes the
     * n-th X-Forwarded-For entry from the right, the address your outermost proxy saw.
     */
    trustProxyHops: z.int({ error: "trustProxyHops must be a whole number" }).min(0).max(10, { error: "trustProxyHops must be 0–10" }).default(0),
    publicMetrics: z.boolean().default(false),
    maxBodyBytes: z
      .int()
      .min(1_024, { error: "maxBodyBytes must be ≥ 1024" })
      .default(1 << 20),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Run jobs (retrain, ...) in this server: off for read-only replicas. */
    jobsEnabled: z.boolean().default(true),
    /** Launch jobs through this command (a GPU container) instead of local child processes; see gpu-jobs/README.md. */
    jobCommand: z.string().min(1).nullable().default(null),
    /** Niceness added to local job processes (0–19): jobs on the serving machine leave the CPU to requests first. */
    jobNice: z.int({ error: "jobNice must be a whole number" }).min(0, { error: "jobNice must be 0–19" }).max(19, { error: "jobNice must be 0–19" }).default(10),
    /**
     * Web origins browsers may call the API from (CORS), besides the origins of keys that have
     * them; ["*"] allows every origin. Keys travel in headers, never cookies, so no credentials mode.
     */
    corsOrigins: z.array(z.union([z.literal("*"), OriginSchema])).default([]),
    /**
     * Base URL the image links in answers start with (a CDN in front of /v1/images, or the API's
     * public address behind a proxy); null: the origin the request came to.
     */
    publicBaseUrl: z
      .string()
      .refine((v) => /^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(v), { error: "publicBaseUrl must be an http(s) URL without query or fragment, e.g. https://cdn.shop.example" })
      .transform((v) => v.replace(/\/+$/, ""))
      .nullable()
      .default(null),
    /** Result window of retrieve: offset + k at most this many items (pagination depth). */
    maxWindow: z
      .int({ error: "maxWindow must be a whole number" })
      .min(1, { error: "maxWindow must be ≥ 1" })
      .max(LIMITS.maxWindow, { error: `maxWindow must be ≤ ${LIMITS.maxWindow}` })
      .default(1_000),
    /** MiB of serialized qid answers each server process keeps for repeated retrieves (0: no response cache). */
    responseCacheMB: z
      .int({ error: "responseCacheMB must be a whole number" })
      .min(0, { error: "responseCacheMB must be ≥ 0 (0 turns the cache off)" })
      .max(65_536, { error: "responseCacheMB must be ≤ 65536" })
      .default(64),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    const secrets = new Set<string>();
    for (const k of c.keys) {
      if (ids.has(k.id)) ctx.addIssue({ code: "custom", path: ["keys"], message: `key id "${k.id}" appears twice` });
      if (secrets.has(k.key)) ctx.addIssue({ code: "custom", path: ["keys"], message: `key "${k.id}" reuses another key's secret` });
      ids.add(k.id);
      secrets.add(k.key);
    }
  });

/** Parsed server configuration. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;

/**
 * The configuration one of `workers` processes sharing a port applies: each rate limit's rate divided
 * by N and its burst divided by N rounded up (at least 1), so the N buckets of a key (or address)
 * together allow the configured limit, up to the rounding of the burst.
 */
export function perWorkerConfig(config: ServerConfig, workers: number): ServerConfig {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a whole number ≥ 1, got ${workers}`);
  const share = (l: ServerConfig["rateLimit"]) => (l ? { perSecond: l.perSecond / workers, burst: Math.max(1, Math.ceil(l.burst / workers)) } : null);
  return workers === 1 ? config : { ...config, rateLimit: share(config.rateLimit), unauthRateLimit: share(config.unauthRateLimit) };
}

/** Parse `VITRINE_API_KEYS` ("id:key:role,id:key:role"). */
export function parseKeysEnv(value: string): z.input<typeof ApiKeySchema>[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((entry, i) => {
      const first = entry.indexOf(":");
      const last = entry.lastIndexOf(":");
      if (first <= 0 || last === first) {
        throw new ConfigError(`VITRINE_API_KEYS: entry ${i + 1} must be id:key:role (role read, admin or search), e.g. app:3f9c…:read`);
      }
      const key = { id: entry.slice(0, first), key: entry.slice(first + 1, last), role: entry.slice(last + 1) };
      const r = ApiKeySchema.safeParse(key);
      if (!r.success) throw new ConfigError(`VITRINE_API_KEYS: entry ${i + 1} ("${key.id}"): ${formatIssues(zodIssues(r.error))}`);
      return key as z.input<typeof ApiKeySchema>;
    });
}

/** Parse `VITRINE_KEY_ORIGINS` ("id=https://a.example https://b.example;id2=https://c.example") into key id → origins. */
export function parseKeyOriginsEnv(value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [i, entry] of value.split(";").entries()) {
    if (entry.trim() === "") continue;
    const eq = entry.indexOf("=");
    const id = entry.slice(0, eq).trim();
    const origins = entry
      .slice(eq + 1)
      .split(/[\s,]+/)
      .filter((o) => o !== "");
    if (eq <= 0 || origins.length === 0) {
      throw new ConfigError(`VITRINE_KEY_ORIGINS: entry ${i + 1} must be id=ORIGIN [ORIGIN...] (entries separated by ";"), e.g. web=https://shop.example`);
    }
    out.set(id, origins);
  }
  return out;
}

function envInt(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === "") return undefined;
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  return Number(v);
}

function envBool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === "") return undefined;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/** Parse `VITRINE_RATE_LIMIT` (or another rate variable): "off", or "PER_SECOND:BURST" (e.g. "50:100"). */
function parseRateLimitEnv(v: string, name = "VITRINE_RATE_LIMIT", example = "50:100"): { perSecond: number; burst: number } | null {
  if (v.trim().toLowerCase() === "off") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+)\s*$/.exec(v);
  if (!m || !(Number(m[1]) > 0) || !(Number(m[2]) >= 1)) {
    throw new ConfigError(`${name} must be "off" or PER_SECOND:BURST with both > 0 (e.g. "${example}"), got "${v}"`);
  }
  return { perSecond: Number(m[1]), burst: Number(m[2]) };
}

/**
 * The configuration from a parsed config file (or {}) overlaid with the environment:
 * VITRINE_API_KEYS, VITRINE_PORT (or PORT), VITRINE_HOST, VITRINE_DATA, VITRINE_RATE_LIMIT,
 * VITRINE_UNAUTH_RATE_LIMIT, VITRINE_TRUST_PROXY_HOPS, VITRINE_PUBLIC_METRICS,
 * VITRINE_MAX_BODY_BYTES, VITRINE_LOG_LEVEL, VITRINE_JOBS (on/off),
 * VITRINE_JOB_COMMAND (container launch command for jobs), VITRINE_JOB_NICE (niceness of local
 * job processes, 0–19), VITRINE_KEY_ORIGINS (origins per key id),
 * VITRINE_CORS_ORIGINS, VITRINE_PUBLIC_BASE_URL, VITRINE_MAX_WINDOW (retrieve's result window),
 * VITRINE_RESPONSE_CACHE_MB (the qid response cache per process; 0: off).
 */
export function parseConfig(env: Record<string, string | undefined>, file: unknown = {}, fileName = "config file"): ServerConfig {
  if (typeof file !== "object" || file === null || Array.isArray(file)) throw new ConfigError(`${fileName}: must be a JSON object`);
  const merged: Record<string, unknown> = { ...(file as Record<string, unknown>) };
  const set = (k: string, v: unknown) => {
    if (v !== undefined) merged[k] = v;
  };
  if (env.VITRINE_API_KEYS !== undefined) set("keys", parseKeysEnv(env.VITRINE_API_KEYS));
  if (env.VITRINE_KEY_ORIGINS !== undefined && env.VITRINE_KEY_ORIGINS.trim() !== "") {
    const origins = parseKeyOriginsEnv(env.VITRINE_KEY_ORIGINS);
    const keys = (Array.isArray(merged.keys) ? merged.keys : []) as { id?: unknown }[];
    for (const id of origins.keys()) {
      if (!keys.some((k) => k.id === id)) throw new ConfigError(`VITRINE_KEY_ORIGINS: no key with id "${id}" (ids: ${keys.map((k) => String(k.id)).join(", ") || "none"})`);
    }
    set(
      "keys",
      keys.map((k) => (origins.has(k.id as string) ? { ...k, origins: origins.get(k.id as string) } : k)),
    );
  }
  if (env.VITRINE_CORS_ORIGINS !== undefined && env.VITRINE_CORS_ORIGINS.trim() !== "")
    set(
      "corsOrigins",
      env.VITRINE_CORS_ORIGINS.split(/[\s,]+/).filter((o) => o !== ""),
    );
  set("publicBaseUrl", env.VITRINE_PUBLIC_BASE_URL?.trim() || undefined);
  set("port", envInt(env, "VITRINE_PORT") ?? envInt(env, "PORT"));
  set("host", env.VITRINE_HOST?.trim() || undefined);
  set("dataDir", env.VITRINE_DATA?.trim() || undefined);
  if (env.VITRINE_RATE_LIMIT !== undefined && env.VITRINE_RATE_LIMIT.trim() !== "") set("rateLimit", parseRateLimitEnv(env.VITRINE_RATE_LIMIT));
  if (env.VITRINE_UNAUTH_RATE_LIMIT !== undefined && env.VITRINE_UNAUTH_RATE_LIMIT.trim() !== "") {
    set("unauthRateLimit", parseRateLimitEnv(env.VITRINE_UNAUTH_RATE_LIMIT, "VITRINE_UNAUTH_RATE_LIMIT", "10:20"));
  }
  set("trustProxyHops", envInt(env, "VITRINE_TRUST_PROXY_HOPS"));
  set("publicMetrics", envBool(env, "VITRINE_PUBLIC_METRICS"));
  set("maxBodyBytes", envInt(env, "VITRINE_MAX_BODY_BYTES"));
  set("logLevel", env.VITRINE_LOG_LEVEL?.trim() || undefined);
  set("jobsEnabled", envBool(env, "VITRINE_JOBS"));
  set("jobCommand", env.VITRINE_JOB_COMMAND?.trim() || undefined);
  set("jobNice", envInt(env, "VITRINE_JOB_NICE"));
  set("maxWindow", envInt(env, "VITRINE_MAX_WINDOW"));
  set("responseCacheMB", envInt(env, "VITRINE_RESPONSE_CACHE_MB"));
  const r = ServerConfigSchema.safeParse(merged);
  if (r.success) return r.data;
  // Name the environment variable when the bad value came from one.
  const fromEnv: Record<string, string> = {
    port: env.VITRINE_PORT !== undefined ? "VITRINE_PORT" : "PORT",
    host: "VITRINE_HOST",
    dataDir: "VITRINE_DATA",
    maxBodyBytes: "VITRINE_MAX_BODY_BYTES",
    trustProxyHops: "VITRINE_TRUST_PROXY_HOPS",
    logLevel: "VITRINE_LOG_LEVEL",
    jobCommand: "VITRINE_JOB_COMMAND",
    jobNice: "VITRINE_JOB_NICE",
    corsOrigins: "VITRINE_CORS_ORIGINS",
    publicBaseUrl: "VITRINE_PUBLIC_BASE_URL",
    maxWindow: "VITRINE_MAX_WINDOW",
    responseCacheMB: "VITRINE_RESPONSE_CACHE_MB",
  };
  const lines = zodIssues(r.error).map((i) => {
    const top = i.field.split(".")[0] ?? "";
    const envName = /^keys\.\d+\.origins/.test(i.field) && env.VITRINE_KEY_ORIGINS !== undefined ? "VITRINE_KEY_ORIGINS" : fromEnv[top];
    const where = envName !== undefined && env[envName] !== undefined ? envName : `${fileName} field "${i.field || "(root)"}"`;
    return `${where}: ${i.message}`;
  });
  throw new ConfigError(lines.join("; "));
}
