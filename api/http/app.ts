// The Hono app factory. No runtime-specific imports (no node:, pino or prom-client): api/node and
// the Worker entry (api/edge/worker.ts) plug in their logger and metrics through AppOptions.
import { Hono, type Context as HonoContext } from "hono";
import { bodyLimit } from "hono/body-limit";
import { trpcServer } from "@hono/trpc-server";
import { authorize, createAuthenticator, type ApiKey } from "./auth.ts";
import { chargeCall, checkRequest, createRequirementOf } from "./gate.ts";
import { createRedactor, type PathAlias } from "./redact.ts";
import { ApiError, JSONRPC_CODE, toApiError, trpcCodeFor } from "./errors.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { assertJsonValueCount, MAX_JSON_VALUES, readCountedText } from "./input-guard.ts";
import { createRateLimiter, type RateLimitOptions } from "./rate-limit.ts";
import { mountRest, REST_ROUTES, type RestRoute } from "./rest.ts";
import { JOB_ROUTES } from "./jobs-rest.ts";
import { createSearchOps } from "./search-ops.ts";
import { createResponseCache } from "./response-cache.ts";
import { allowedOrigins, corsMiddleware } from "./cors.ts";
import { imageBaseUrl, imagesOpenApiPath, mountImages, withImageUrls, type ImageStore } from "./images.ts";
import { mountUi, type UiFiles } from "./ui.ts";
import { appRouter, PROCEDURE_ACCESS, PROCEDURE_PATHS } from "./router.ts";
import { noopMetrics, silentLogger, type AppLogger, type MetricsRecorder } from "./telemetry.ts";
import type { AppEnv } from "./app-env.ts";
import type { Context as TrpcContext, ErrorData } from "./trpc.ts";
import type { RetrievalService } from "../service/types.ts";
import type { JobsService } from "../jobs/types.ts";

/** Options of createApp. */
export interface AppOptions {
  /** The retrieval service the API serves. */
  service: RetrievalService;
  /** The job manager behind jobs.* (absent: those answer UNAVAILABLE, as at the edge). */
  jobs?: JobsService | null;
  /** API keys; with none, every protected operation answers 401. */
  keys: readonly ApiKey[];
  /** Per-key rate limit; null or absent disables limiting. */
  rateLimit?: RateLimitOptions | null;
  /**
   * Per-client-address limit of requests without a usable key (none, unknown, malformed) to
   * anything but the public routes; null or absent disables it. serveNode passes the server
   * config's `unauthRateLimit` (default 10/s, burst 20).
   */
  unauthRateLimit?: RateLimitOptions | null;
  /** The client address of a request, for the unauthenticated limit (default: unknown, one shared bucket). */
  clientAddress?: (c: HonoContext<AppEnv>) => string | null;
  /** Server paths to rewrite out of responses (the data dir as "<data>", ...); home and temp paths always are. */
  redactPaths?: readonly PathAlias[];
  /** Structured logger (default: silent). */
  logger?: AppLogger;
  /** Request metrics and the /metrics text (default: no-op). */
  metrics?: MetricsRecorder;
  /** Serve /metrics without a key (default false: any read or admin key). */
  publicMetrics?: boolean;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Result window of retrieve: offset + k at most this (default 1000). */
  maxWindow?: number;
  /** Bytes of serialized qid answers kept for repeated retrieves (response-cache.ts; default 0: none; needs the service's activeRelease). */
  responseCacheBytes?: number;
  /** Version shown in the OpenAPI document. */
  version?: string;
  /** Clock in ms for the rate limiter (tests). */
  now?: () => number;
  /** Images behind GET /v1/images/:id (absent: that route answers UNAVAILABLE, as at the edge, which forwards it). */
  images?: ImageStore | null;
  /** Base URL of the image links in answers (a CDN, the API's public address); absent or null: the origin each request came to. */
  publicBaseUrl?: string | null;
  /** Web origins allowed to call the API from a browser (CORS; "*": any), besides the origins of keys restricted to some. */
  corsOrigins?: readonly string[];
  /** The playground's and docs UI's files (absent: /playground and /docs answer 404). */
  ui?: UiFiles | null;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every /v1 route: retrieval, releases, jobs. */
const ROUTES: readonly RestRoute[] = [...REST_ROUTES, ...JOB_ROUTES];

/** How a request reached the app: forwarded by the edge Worker (it sets x-vitrine-via: edge) or not. */
const viaOf = (c: HonoContext<AppEnv>): "direct" | "edge" => (c.req.header("x-vitrine-via") === "edge" ? "edge" : "direct");

const KNOWN_PROCEDURES = new Set(PROCEDURE_PATHS);

// Metric labels must stay bounded whatever paths clients send.
function trpcRouteLabel(path: string): string {
  const procs = path.slice("/trpc/".length).split(",");
  if (procs.every((p) => KNOWN_PROCEDURES.has(p))) return procs.length === 1 ? `/trpc/${procs[0]}` : "/trpc/batch";
  return "/trpc/unknown";
}

/**
 * Whether an error is the client going away, not a fault: the request's signal (checked by the
 * callers) is the main test; this catches a body read that failed first — Node's "aborted" error of
 * the incoming message, or an AbortError. Outbound failures ("read ECONNRESET", "socket hang up")
 * are not matched: they are the server's problem.
 */
export function isClientAbort(err: unknown): boolean {
  let e = err;
  for (let i = 0; i < 6 && typeof e === "object" && e !== null; i++) {
    const x = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    if (x.name === "AbortError" || (x.message === "aborted" && x.code === "ECONNRESET")) return true;
    e = x.cause;
  }
  return false;
}

// A 500 is a bug: log it with its cause and stack. A 503 (no release, store reloading) is a state
// the operator should see, without a stack each time.
function logFailure(logger: AppLogger, api: ApiError, fields: Record<string, unknown>, err: unknown): void {
  if (api.code === "INTERNAL") logger.error({ ...fields, err: api.extra.internal ?? err }, "request failed");
  else if (api.status >= 500) logger.warn({ ...fields, code: api.code, message: api.message }, "service unavailable");
}

// tRPC formats errors it raises before creating the context (bad content type, bad batch) without
// one, so their requestId is empty; fill it in from the request.
async function fillRequestId(res: Response, requestId: string): Promise<Response> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, res);
  }
  for (const item of Array.isArray(body) ? body : [body]) {
    const data = (item as { error?: { data?: { requestId?: string } } } | null)?.error?.data;
    if (data && !data.requestId) data.requestId = requestId;
  }
  const headers = new Headers(res.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status: res.status, statusText: res.statusText, headers });
}

/** What a request to the app needs (public, read, admin; tokens) from its method and path alone. */
export function appRequirement(publicMetrics: boolean): ReturnType<typeof createRequirementOf> {
  return createRequirementOf({ rest: ROUTES, procedures: PROCEDURE_ACCESS, publicMetrics, maxBatchSize: MAX_BATCH });
}

const MAX_BATCH = 16;

/** Build the Vitrine HTTP app: tRPC at /trpc, REST at /v1, /healthz, /metrics. */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const { service } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopMetrics;
  const authenticate = createAuthenticator(options.keys);
  const clock = options.now ? { now: options.now } : {};
  const limits = {
    perKey: options.rateLimit ? createRateLimiter(options.rateLimit, clock) : null,
    perAddress: options.unauthRateLimit ? createRateLimiter(options.unauthRateLimit, clock) : null,
  };
  const clientAddress = options.clientAddress ?? (() => null);
  const redact = createRedactor(options.redactPaths ?? []);
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const requirementOf = appRequirement(options.publicMetrics ?? false);
  const publicBaseUrl = options.publicBaseUrl ?? null;
  const searchOps = createSearchOps({ service, logger, metrics, ...(options.maxWindow !== undefined ? { maxWindow: options.maxWindow } : {}) });
  const searchFor = (c: HonoContext<AppEnv>) => searchOps.forCall({ requestId: c.var.requestId, keyId: c.var.credential.auth?.keyId ?? null, via: viaOf(c) });
  let openApi: string | undefined;

  const app = new Hono<AppEnv>();

  /** Answer with the one error shape: REST's body, or tRPC's envelope under /trpc. */
  const errorResponse = (c: HonoContext<AppEnv>, err: unknown): Response => {
    if (isClientAbort(err) || c.req.raw.signal.aborted) {
      // Nobody is left to answer: the outer middleware records a 499 at info level.
      c.set("clientGone", true);
      return c.body(null, 499 as 400);
    }
    const api = toApiError(err);
    const requestId = c.var.requestId ?? "";
    logFailure(logger, api, { requestId, method: c.req.method, path: c.req.path.slice(0, 200) }, err);
    if (api.extra.retryAfter !== undefined) c.header("Retry-After", String(api.extra.retryAfter));
    // The rest of an oversize body is never read: the connection cannot carry another request.
    if (api.status === 413) c.header("Connection", "close");
    const status = api.status as 400;
    if (c.req.path === "/trpc" || c.req.path.startsWith("/trpc/")) {
      const code = trpcCodeFor(api.status);
      const body = redact(api.body(requestId));
      const data: ErrorData = { ...body, httpStatus: api.status };
      if (api.extra.retryAfter !== undefined) data.retryAfter = api.extra.retryAfter;
      return c.json({ error: { message: body.message, code: JSONRPC_CODE[code] ?? -32603, data } }, status);
    }
    return c.json({ error: redact(api.body(requestId)) }, status);
  };

  // Outermost: request id, then one log line and one metrics sample per request. A client that went
  // away before its answer (mid-body, or while the answer was computed) is a 499 at info level.
  app.use("*", async (c, next) => {
    const started = performance.now();
    // The runtime's signal (Node: aborts when the connection closes before the answer is sent);
    // taken before any middleware replaces c.req.raw.
    const signal = c.req.raw.signal;
    const incoming = c.req.header("x-request-id");
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("route", "unmatched");
    c.set("credential", authenticate(c.req.raw.headers));
    c.set("auth", null);
    c.set("clientGone", false);
    // What every answer passes through on its way out: image links made absolute, server paths rewritten.
    const base = imageBaseUrl(c, publicBaseUrl);
    c.set("present", (v) => redact(withImageUrls(v, base)));
    await next();
    c.res.headers.set("x-request-id", requestId);
    const ms = Math.round((performance.now() - started) * 1000) / 1000;
    const gone = c.var.clientGone || signal.aborted;
    const status = gone ? 499 : c.res.status;
    metrics.observe({ method: c.req.method, route: c.var.route, status, ms });
    logger.info(
      { method: c.req.method, path: c.req.path.slice(0, 200), route: c.var.route, status, ms, keyId: c.var.credential.auth?.keyId ?? null, requestId },
      gone ? "client closed request" : "request",
    );
  });

  // Preflights are answered here, before the gate: browsers send them without the key.
  app.use("*", corsMiddleware(allowedOrigins(options.corsOrigins ?? [], options.keys)));

  // Auth before work: the key (or, without one, the client address's bucket) and the key's rate
  // limit are checked from the method, path and headers alone — before the body limit below reads
  // a chunked body, before any JSON parse or depth check.
  app.use("*", async (c, next) => {
    const auth = checkRequest(requirementOf(c.req.method, c.req.path), c.var.credential, limits, () => clientAddress(c), c.req.header("origin") ?? null);
    c.set("auth", auth);
    c.set("charge", (tokens) => chargeCall(limits, auth, tokens));
    await next();
  });

  const tooLarge = () => new ApiError("PAYLOAD_TOO_LARGE", `request body is larger than ${maxBodyBytes} bytes; send less (e.g. fewer ids or filter values)`);
  // A declared oversize body is refused from its header alone, its stream never opened: once opened
  // (bodyLimit's first step), @hono/node-server can no longer drain it, and the client's next
  // request on that keep-alive connection stalls until the server drops it.
  app.use("*", async (c, next) => {
    if (Number(c.req.header("content-length")) > maxBodyBytes) throw tooLarge();
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw tooLarge();
      },
    }),
  );

  app.get("/healthz", async (c) => {
    c.set("route", "/healthz");
    try {
      const h = await service.health();
      return c.json(h, h.ok ? 200 : 503);
    } catch (e) {
      logger.error({ requestId: c.var.requestId, err: e }, "health check failed");
      return c.json({ ok: false, release: null }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    c.set("route", "/metrics");
    if (!options.publicMetrics) authorize(c.var.credential, "read");
    if (metrics.setActiveRelease) metrics.setActiveRelease((await service.health().catch(() => null))?.release ?? null);
    const m = await metrics.render();
    return c.body(m.body, 200, { "content-type": m.contentType });
  });

  app.get("/v1/openapi.json", (c) => {
    c.set("route", "/v1/openapi.json");
    if (openApi === undefined) {
      const doc = buildOpenApiDocument(ROUTES, { version: options.version ?? "0.1.0", metricsNeedKey: !options.publicMetrics, maxWindow: searchOps.maxWindow });
      (doc.paths as Record<string, unknown>)["/v1/images/{id}"] = imagesOpenApiPath();
      openApi = JSON.stringify(doc);
    }
    return c.body(openApi, 200, { "content-type": "application/json; charset=utf-8" });
  });

  mountImages(app, options.images ?? null);
  const cache = service.activeRelease ? createResponseCache({ maxBytes: options.responseCacheBytes ?? 0 }) : null;
  const responseCache = cache ? { cache, activeRelease: () => service.activeRelease?.() ?? null, scope: (c: HonoContext<AppEnv>) => imageBaseUrl(c, publicBaseUrl) } : null;
  mountRest(app, ROUTES, { service, context: (c) => ({ search: searchFor(c), jobs: options.jobs ?? null, signal: c.req.raw.signal }), responseCache });
  mountUi(app, options.ui ?? null);

  app.use("/trpc/*", async (c, next) => {
    c.set("route", trpcRouteLabel(c.req.path));
    // The input's values are counted before tRPC parses it (input-guard.ts): a batch may hold
    // MAX_JSON_VALUES per call. The body is read once: tRPC's adapter reads Hono's cached copy.
    const batch = c.req.path.split(",").length;
    if (batch > MAX_BATCH) throw new ApiError("INVALID_INPUT", `a tRPC batch holds at most ${MAX_BATCH} calls, this one ${batch}; split it`);
    // A large body is counted as it is read, and not read past the budget.
    if (c.req.method === "POST") await readCountedText(c.req, MAX_JSON_VALUES * batch);
    else {
      const input = c.req.query("input");
      if (input !== undefined) assertJsonValueCount(input, MAX_JSON_VALUES * batch);
    }
    await next();
    if (c.req.raw.signal.aborted) c.set("clientGone", true);
    else if (c.res.status >= 400) c.res = await fillRequestId(c.res, c.var.requestId);
  });
  app.use(
    "/trpc/*",
    trpcServer({
      router: appRouter,
      endpoint: "/trpc",
      allowMethodOverride: true,
      maxBatchSize: MAX_BATCH,
      createContext: (_opts, c): TrpcContext & Record<string, unknown> => {
        const hc = c as HonoContext<AppEnv>;
        const credential = hc.var.credential;
        return { service, search: searchFor(hc), jobs: options.jobs ?? null, credential, auth: credential.auth, requestId: hc.var.requestId, redact: hc.var.present, charge: hc.var.charge };
      },
      onError: ({ error, path, ctx, req }) => {
        if (isClientAbort(error) || req.signal.aborted) return;
        const api = toApiError(error);
        logFailure(logger, api, { requestId: (ctx as TrpcContext | undefined)?.requestId, procedure: path }, error);
      },
      responseMeta: ({ errors }) => {
        const waits = errors.map((e) => toApiError(e).extra.retryAfter ?? 0);
        const retryAfter = Math.max(0, ...waits);
        return retryAfter > 0 ? { headers: { "retry-after": String(retryAfter) } } : {};
      },
    }),
  );

  app.notFound((c) => errorResponse(c, new ApiError("NOT_FOUND", `no route ${c.req.method} ${c.req.path.slice(0, 200)}; the REST operations are listed at /v1/openapi.json`)));
  app.onError((err, c) => errorResponse(c, err));
  return app;
}
