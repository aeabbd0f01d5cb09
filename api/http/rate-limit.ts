// Per-key token buckets. State lives in memory of one process (or one Worker isolate): a limit
// per instance, which is what protects that instance.

/** Rate limit of one key. */
export interface RateLimitOptions {
  /** Tokens added per second (sustained requests per second). */
  perSecond: number;
  /** Bucket size (requests allowed in a burst). */
  burst: number;
}

/** The answer to one request for a token. */
export interface RateDecision {
  /** Whether the request may proceed. */
  ok: boolean;
  /** When refused: whole seconds until a token is available (≥ 1), for Retry-After. */
  retryAfter: number;
}

/** Hands out tokens per key. */
export interface RateLimiter {
  /** Take one token from the key's bucket. */
  take(key: string): RateDecision;
}

/** A token-bucket limiter; `now` (ms) is injectable for tests. */
export function createRateLimiter(opts: RateLimitOptions, now: () => number = () => Date.now()): RateLimiter {
  if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new Error("rateLimit needs perSecond > 0 and burst ≥ 1");
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
      b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true, retryAfter: 0 };
      }
      return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond)) };
    },
  };
}
