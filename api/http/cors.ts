// CORS for storefronts and admin tools on other origins (hono/cors). Preflights (OPTIONS) are
// answered here, before the gate: a browser sends them without the API key. The origins allowed
// are the configured ones plus those of every key restricted to origins (a search key for
// https://shop.example is useless unless that page may call the API). A disallowed origin gets no
// Access-Control-Allow-Origin, so the browser keeps the answer from the page.
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import type { ApiKey } from "./auth.ts";

/** The request headers a page may send: the key (either header), JSON bodies, a request id, tRPC's. */
const ALLOW_HEADERS = ["authorization", "x-api-key", "content-type", "x-request-id", "trpc-accept", "last-event-id"];
/** The answer headers a page may read. */
const EXPOSE_HEADERS = ["x-request-id", "retry-after", "x-vitrine-edge", "etag"];

/** The origins browsers may call from: `configured` ("*": any) and every key's own origins. */
export function allowedOrigins(configured: readonly string[], keys: readonly ApiKey[]): ReadonlySet<string> {
  return new Set([...configured, ...keys.flatMap((k) => k.origins ?? [])]);
}

/** The CORS middleware for these origins (an empty set: no cross-origin access, preflights still answered). */
export function corsMiddleware(origins: ReadonlySet<string>): MiddlewareHandler {
  const any = origins.has("*");
  return cors({
    // The request's origin echoed (with Vary: Origin) rather than "*": one rule for both cases.
    origin: (origin) => (origin !== "" && origin !== "null" && (any || origins.has(origin)) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
}
