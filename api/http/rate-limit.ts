// Token buckets: one per API key (well-behaved clients), and one per client address for requests
// without a usable key (keyless floods, key guessing). State lives in memory of one process (or one
// Worker isolate): a limit per instance, which is what protects that instance.

/** Rate limit of one bucket. */
export interface RateLimitOptions {
  /** Tokens added per second (sustained requests per second). */
  perSecond: number;
  /** Bucket size (requests allowed in a burst). */
  burst: number;
}

/** The answer to one request for tokens. */
export interface RateDecision {
  /** Whether the request may proceed. */
  ok: boolean;
  /** When refused: whole seconds until enough tokens are available (≥ 1), for Retry-After. */
  retryAfter: number;
}

/** Hands out tokens per bucket name (a key id, a client address). */
export interface RateLimiter {
  /** Take `cost` tokens (default 1; a tRPC batch costs one per call, capped at the burst). */
  take(key: string, cost?: number): RateDecision;
  /**
   * Charge `cost` more tokens (any amount, fractions too) to a request the gate let in: a call's
   * cost beyond the gate's token, known once its input is valid. Never refused — the key was
   * allowed to start this work, and refusing after its body was read would waste that — so the
   * bucket may go below zero (at most `burst` below), and the key's next requests wait at the gate
   * until it holds a token again, which their Retry-After says exactly.
   */
  charge(key: string, cost: number): void;
  /** Buckets held now (bounded by maxBuckets). */
  readonly size: number;
}

/** Options beyond the rate itself. */
export interface RateLimiterOptions {
  /** Clock in ms (tests). */
  now?: () => number;
  /**
   * Most buckets held at once (default 10,000). Address buckets are created by whoever connects, so
   * the table must not grow without bound: past this, buckets that have refilled are dropped, then
   * the least recently used. A dropped bucket starts full again: the cap trades precision for memory.
   */
  maxBuckets?: number;
}

/** A token-bucket limiter. */
export function createRateLimiter(opts: RateLimitOptions, options: RateLimiterOptions | (() => number) = {}): RateLimiter {
  if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new Error("rateLimit needs perSecond > 0 and burst ≥ 1");
  const o = typeof options === "function" ? { now: options } : options;
  const now = o.now ?? (() => Date.now());
  const maxBuckets = o.maxBuckets ?? 10_000;
  // Map order is least recently used first: a touched bucket is re-inserted at the end.
  const buckets = new Map<string, { tokens: number; at: number }>();

  const evict = (t: number) => {
    for (const [k, b] of buckets) {
      if (buckets.size < maxBuckets) return;
      // A bucket idle long enough to be full again holds no information.
      if (b.tokens + ((t - b.at) / 1000) * opts.perSecond >= opts.burst) buckets.delete(k);
    }
    for (const k of buckets.keys()) {
      if (buckets.size < maxBuckets) return;
      buckets.delete(k);
    }
  };

  // The bucket of `key` refilled to now, moved to the end of the LRU order.
  const bucket = (key: string) => {
    const t = now();
    let b = buckets.get(key);
    if (b) buckets.delete(key);
    else {
      if (buckets.size >= maxBuckets) evict(t);
      b = { tokens: opts.burst, at: t };
    }
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
    buckets.set(key, b);
    return b;
  };
  return {
    take(key, cost = 1) {
      const need = Math.min(Math.max(cost, 1), opts.burst);
      const b = bucket(key);
      if (b.tokens >= need) {
        b.tokens -= need;
        return { ok: true, retryAfter: 0 };
      }
      return { ok: false, retryAfter: Math.max(1, Math.ceil((need - b.tokens) / opts.perSecond)) };
    },
    charge(key, cost) {
      if (!(cost > 0)) return;
      const b = bucket(key);
      b.tokens = Math.max(-opts.burst, b.tokens - cost);
    },
    get size() {
      return buckets.size;
    },
  };
}
