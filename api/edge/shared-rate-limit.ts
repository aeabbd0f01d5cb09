// The edge's per-key rate limit across isolates: each API key's token bucket lives in one Durable
// Object (EdgeRateLimiter, bound as RATE_LIMITER), which every isolate of every location asks
// before answering from KV. Without the binding the limit falls back to the app's bucket per
// isolate (weak: a client spread over isolates gets one bucket each).
import { createRateLimiter, type RateDecision, type RateLimitOptions } from "../http/index.ts";

type RateLimiter = ReturnType<typeof createRateLimiter>;

/** The part of a Durable Object namespace binding the limiter uses. */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name (the same name gives the same object everywhere). */
  idFromName(name: string): unknown;
  /** A stub to call the object through. */
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** Takes tokens from a key's shared bucket. */
export interface SharedRateLimiter {
  /** Take `cost` tokens from the key's bucket (a tRPC batch: one per call); throws when the object cannot be reached. */
  take(keyId: string, cost: number): Promise<RateDecision>;
}

/** What the Worker sends the object: the key, the cost, and the bucket's settings (the Worker's VITRINE_RATE_LIMIT). */
interface TakeRequest extends RateLimitOptions {
  key: string;
  cost: number;
}

/** A SharedRateLimiter over the RATE_LIMITER binding: one object per key id. */
export function createSharedRateLimiter(ns: DurableObjectNamespaceLike, limit: RateLimitOptions): SharedRateLimiter {
  return {
    async take(keyId, cost) {
      const stub = ns.get(ns.idFromName(`key:${keyId}`));
      const body: TakeRequest = { key: keyId, cost, ...limit };
      const res = await stub.fetch("https://rate-limiter/take", { method: "POST", body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`the rate limiter object answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return (await res.json()) as RateDecision;
    },
  };
}

const finite = (v: unknown, min: number): v is number => typeof v === "number" && Number.isFinite(v) && v >= min;

/**
 * The Durable Object class (wrangler.toml [[durable_objects.bindings]] RATE_LIMITER → EdgeRateLimiter):
 * the token buckets of the keys routed to it, in memory (an evicted object starts full again, which
 * is what an idle bucket would be). One bucket table per rate setting, so a changed
 * VITRINE_RATE_LIMIT takes effect at once.
 */
export class EdgeRateLimiter {
  private readonly limiters = new Map<string, RateLimiter>();

  async fetch(request: Request): Promise<Response> {
    let t: Partial<TakeRequest>;
    try {
      t = (await request.json()) as Partial<TakeRequest>;
    } catch {
      return new Response("body must be JSON", { status: 400 });
    }
    if (typeof t.key !== "string" || !finite(t.cost, 1) || !finite(t.perSecond, Number.MIN_VALUE) || !finite(t.burst, 1)) {
      return new Response("need key, cost ≥ 1, perSecond > 0 and burst ≥ 1", { status: 400 });
    }
    const settings = `${t.perSecond}:${t.burst}`;
    let limiter = this.limiters.get(settings);
    if (!limiter) {
      limiter = createRateLimiter({ perSecond: t.perSecond, burst: t.burst });
      // Old settings linger only until a few newer ones arrive.
      if (this.limiters.size >= 4) this.limiters.delete(this.limiters.keys().next().value!);
      this.limiters.set(settings, limiter);
    }
    return Response.json(limiter.take(t.key, t.cost));
  }
}
