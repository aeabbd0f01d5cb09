// The Hono environment of the app: what middleware puts on the context for handlers.
import type { Credential } from "./auth.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** Hono `Env` of the Vitrine app. */
export interface AppEnv {
  Variables: {
    /** Request id (x-request-id, echoed or generated). */
    requestId: string;
    /** The request's credentials. */
    credential: Credential;
    /** Route pattern for metrics; bounded cardinality. */
    route: string;
    /** Per-key rate limiter, or null when limiting is off. */
    limiter: RateLimiter | null;
  };
}
