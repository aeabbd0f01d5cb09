// The edge's request handling in front of the app: retrieve calls whose qid list (from Workers KV)
// yields k items after the query's and the caller's constraints are answered here by the same
// Hono app as the origin's (createApp, so auth, validation, rate limits and error shapes are the
// origin's); every other request — a miss, too few after filtering, a pinned release the edge
// does not have, lookup, items, releases, jobs, health, metrics — goes to the origin with the
// caller's key.
import type { Hono } from "hono";
import { needsDictionary, RetrieveRequestSchema, type RetrieveRequest } from "../../core/index.ts";
import { ApiError, appRequirement, assertInputDepth, createApp, createAuthenticator, silentLogger, type ApiKey, type AppEnv, type AppLogger, type RateLimitOptions } from "../http/index.ts";
import type { RetrieveResult } from "../service/types.ts";
import { answerFromKv } from "./answer.ts";
import { AnswerStash, createEdgeService } from "./edge-service.ts";
import { edgeErrorResponse, forwardToOrigin } from "./forward.ts";
import type { EdgeStore } from "./kv-store.ts";
import { retrieveInputs, retrieveRoute } from "./retrieve-calls.ts";
import type { SharedRateLimiter } from "./shared-rate-limit.ts";

/** Options of createEdgeHandler. */
export interface EdgeHandlerOptions {
  /** The pushed releases in KV. */
  store: EdgeStore;
  /** Base URL of the origin API (the Node server). */
  originUrl: string;
  /** API keys (the same VITRINE_API_KEYS, and VITRINE_KEY_ORIGINS, as the origin's). */
  keys: readonly ApiKey[];
  /** Web origins browsers may call from (CORS), besides the keys' own: the origin's list. */
  corsOrigins?: readonly string[];
  /**
   * Base URL of the image links in the answers the edge gives itself (default: originUrl — the
   * Worker has no image cache; the origin serves /v1/images, and its forwarded answers carry its
   * own links, so both agree). Set the same public base URL (a CDN) on both.
   */
  publicBaseUrl?: string | null;
  /** Per-key rate limit of edge answers (null: off): per isolate, unless `sharedRateLimiter` holds it. */
  rateLimit?: RateLimitOptions | null;
  /** The per-key limit held across isolates (the RATE_LIMITER Durable Object); replaces the per-isolate one. */
  sharedRateLimiter?: SharedRateLimiter | null;
  /**
   * Loads jieba's dictionary (called before the first query with Han characters; must be idempotent);
   * null: this Worker has none (worker-lite.ts), so such queries go to the origin. Absent: ready.
   */
  dictionary?: (() => void) | null;
  /** Per-address (CF-Connecting-IP) limit of requests without a usable key, per isolate (null or absent: off). */
  unauthRateLimit?: RateLimitOptions | null;
  /** Largest request body accepted, in bytes (default 1 MiB, as the origin). */
  maxBodyBytes?: number;
  /** max-age of edge answers in seconds (default 30; 0 sends no-store). */
  cacheMaxAge?: number;
  /** fetch to reach the origin (default: the global one). */
  fetch?: typeof fetch;
  /** Logger (default: silent). */
  logger?: AppLogger;
}

/** Handles requests at the edge. */
export interface EdgeHandler {
  /** Answer one request. */
  fetch(request: Request): Promise<Response>;
  /** The app edge answers go through (tests). */
  readonly app: Hono<AppEnv>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Build the edge handler. */
export function createEdgeHandler(opts: EdgeHandlerOptions): EdgeHandler {
  const stash = new AnswerStash();
  const maxBodyBytes = opts.maxBodyBytes ?? 1 << 20;
  const maxAge = opts.cacheMaxAge ?? 30;
  const logger = opts.logger ?? silentLogger;
  // Called unbound: workerd throws "Illegal invocation" when fetch runs with another `this`.
  const doFetch: typeof fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const authenticate = createAuthenticator(opts.keys);
  // Whether this Worker can segment a query: Han text needs the dictionary, loaded on first use.
  const segmentable = (query: string): boolean => {
    if (!needsDictionary(query)) return true;
    if (opts.dictionary === null) return false;
    opts.dictionary?.();
    return true;
  };
  const shared = opts.sharedRateLimiter ?? null;
  const app = createApp({
    service: createEdgeService(opts.store, stash, segmentable),
    keys: opts.keys,
    corsOrigins: opts.corsOrigins ?? [],
    publicBaseUrl: opts.publicBaseUrl ?? opts.originUrl.replace(/\/+$/, ""),
    rateLimit: shared ? null : (opts.rateLimit ?? null),
    unauthRateLimit: opts.unauthRateLimit ?? null,
    // Cloudflare sets CF-Connecting-IP itself (a client cannot choose it).
    clientAddress: (c) => c.req.header("cf-connecting-ip") ?? null,
    maxBodyBytes,
    logger,
  });
  const requirementOf = appRequirement(false);

  // The app's answer to a request the edge keeps: cache headers on a 200 (the answer), no-store on errors.
  const viaApp = async (req: Request): Promise<Response> => {
    const res = await app.fetch(req);
    const out = new Response(res.body, res);
    if (res.status === 200 && maxAge > 0) {
      // private: the answer is only for holders of a key — a shared cache keyed by URL would hand
      // it to callers the edge never authenticated. A short max-age bounds how long a client
      // keeps a list after a release flip (KV itself propagates within about a minute).
      out.headers.set("cache-control", `private, max-age=${maxAge}`);
      // Appended: CORS already varies the answer by Origin.
      out.headers.append("vary", "authorization, x-api-key");
    } else out.headers.set("cache-control", "no-store");
    out.headers.set("x-vitrine-edge", res.status === 200 ? "hit" : "error");
    return out;
  };

  return {
    app,
    async fetch(request: Request): Promise<Response> {
      // Timings count from here: the request's own start (workerd's clock moves across I/O only).
      const startedAt = performance.now();
      const url = new URL(request.url);
      const incoming = request.headers.get("x-request-id");
      const requestId = incoming !== null && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      const forward = async (body: ArrayBuffer | null): Promise<Response> => {
        try {
          return await forwardToOrigin(request, body, { originUrl: opts.originUrl, fetch: doFetch, requestId });
        } catch (e) {
          logger.error({ requestId, err: e, path: url.pathname.slice(0, 200) }, "origin unreachable");
          return edgeErrorResponse(url.pathname, new ApiError("UNAVAILABLE", "the origin API is unreachable from the edge; retry shortly"), requestId);
        }
      };

      // CORS preflights are answered here, from the same origins as the origin's (no key, no round trip).
      if (request.method === "OPTIONS") return app.fetch(request);
      // Auth before work: a request without a usable key for anything but the public routes is
      // answered here by the app (401, or 429 from the address's bucket) — its body never read,
      // nothing forwarded. /metrics goes on: the origin decides whether it is public.
      if (url.pathname !== "/metrics" && requirementOf(request.method, url.pathname).access !== "public" && authenticate(request.headers).auth === null) {
        return viaApp(request);
      }
      const route = retrieveRoute(request.method, url);
      if (!route) return forward(null);
      const body = request.method === "GET" ? null : await request.arrayBuffer();
      const headers = new Headers(request.headers);
      headers.set("x-request-id", requestId);
      const again = () => new Request(request.url, { method: request.method, headers, ...(body ? { body } : {}) });
      // Whatever the edge does not answer itself, the app answers exactly as the origin would:
      // oversized or unreadable input, a bad key, an invalid request.
      if (body && body.byteLength > maxBodyBytes) return viaApp(again());
      const raw = retrieveInputs(route, request.method, url, body ? new TextDecoder().decode(body) : null);
      if (raw === null || authenticate(request.headers).auth === null) return viaApp(again());
      const reqs: RetrieveRequest[] = [];
      for (const r of raw) {
        try {
          assertInputDepth(r);
        } catch {
          return viaApp(again());
        }
        const parsed = RetrieveRequestSchema.safeParse(r);
        if (!parsed.success) return viaApp(again());
        reqs.push(parsed.data);
      }

      let answers: (RetrieveResult | null)[];
      try {
        if (!reqs.every((r) => segmentable(r.query))) return forward(body);
        answers = await Promise.all(reqs.map((r) => answerFromKv(opts.store, r, startedAt)));
      } catch (e) {
        // KV unreadable (or the segmenter failed to load): the origin can still answer.
        logger.warn({ requestId, err: e }, "edge could not answer from KV; forwarding");
        return forward(body);
      }
      if (answers.some((a) => a === null)) return forward(body);
      if (shared) {
        // The key's bucket across isolates; tokens only for what the edge answers (the origin limits the rest).
        const keyId = authenticate(request.headers).auth!.keyId;
        let d;
        try {
          d = await shared.take(keyId, reqs.length);
        } catch (e) {
          logger.warn({ requestId, err: e }, "rate limiter unreachable; forwarding (the origin limits the key)");
          return forward(body);
        }
        if (!d.ok) {
          return edgeErrorResponse(url.pathname, new ApiError("RATE_LIMITED", `rate limit exceeded for key "${keyId}"; retry after ${d.retryAfter} s`, { retryAfter: d.retryAfter }), requestId);
        }
        for (const a of answers) a!.timings.total = Math.round((performance.now() - startedAt) * 1000) / 1000;
      }
      const unpark = reqs.map((r, i) => stash.park(r, answers[i]!));
      try {
        return await viaApp(again());
      } finally {
        for (const u of unpark) u();
      }
    },
  };
}
