// Auth before work: from the method and path alone (never the body), decide what a request needs —
// nothing (health, the OpenAPI document), a read key or an admin key — and check the key, the
// key's rate limit, and for requests without a usable key the client address's limit, before any
// body is read, parsed or depth-checked. REST routes, tRPC calls (batches and GET ?input= too) and
// SSE subscriptions all pass here; handlers and procedures check the role again (defence in depth).
import { authorize, checkOrigin, checkScope, type Auth, type Credential } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { addressBucket } from "./client-address.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { Access } from "./rest.ts";

/** What a request needs before it may do any work. */
export interface Requirement {
  /** public: anyone; read: a read or admin key; admin: an admin key. */
  access: Access;
  /** Tokens it takes from the key's bucket (a tRPC batch: one per call; 0: not limited). */
  cost: number;
  /** The operations it calls (tRPC paths, a REST route's operationId; [] for an unknown route): what a search key is checked against. */
  operations: readonly string[];
}

/** What the gate needs to know of the routes. */
export interface GateRoutes {
  /** REST routes: method, Hono path pattern, access. */
  rest: readonly { method: string; path: string; access: Access; operationId: string }[];
  /** Access of each tRPC procedure path ("retrieve", "jobs.watch", ...). */
  procedures: Readonly<Record<string, Access>>;
  /** Serve /metrics without a key. */
  publicMetrics: boolean;
  /** Most calls in one tRPC batch (more are refused by tRPC; the cost is capped here). */
  maxBatchSize: number;
}

const RANK: Record<Access, number> = { public: 0, read: 1, admin: 2 };
const stricter = (a: Access, b: Access): Access => (RANK[a] >= RANK[b] ? a : b);

/**
 * Routes anyone may call, without a key: health, the OpenAPI document, product images (an <img>
 * cannot send a key), the playground and docs pages (static files: they ask for a key and send it
 * with each call they make), and every CORS preflight (a browser sends OPTIONS without the key).
 */
export function isPublicRoute(method: string, path: string): boolean {
  if (method === "OPTIONS") return true;
  if (path === "/healthz" || path === "/v1/openapi.json" || path === "/" || path === "/favicon.ico") return true;
  if (path === "/playground" || path === "/docs") return true;
  return path.startsWith("/v1/images/") || path.startsWith("/playground/") || path.startsWith("/docs/");
}

const PUBLIC: Requirement = { access: "public", cost: 0, operations: [] };

/** Build the function that maps a request's method and path to its requirement. */
export function createRequirementOf(routes: GateRoutes): (method: string, path: string) => Requirement {
  const rest = routes.rest.map((r) => ({
    method: r.method,
    access: r.access,
    operationId: r.operationId,
    re: new RegExp(`^${r.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\/:\w+/g, "/[^/]+")}$`),
  }));
  return (method, path) => {
    if (isPublicRoute(method, path)) return PUBLIC;
    if (path === "/metrics") return routes.publicMetrics ? PUBLIC : { access: "read", cost: 0, operations: ["metrics"] };
    if (path.startsWith("/trpc/")) {
      let names: string[];
      try {
        names = decodeURIComponent(path.slice("/trpc/".length)).split(",");
      } catch {
        names = [""];
      }
      // An unknown procedure still needs a key: without one, nothing about the router is revealed.
      let access: Access = "public";
      for (const n of names) access = stricter(access, Object.hasOwn(routes.procedures, n) ? routes.procedures[n]! : "read");
      return { access, cost: access === "public" ? 0 : Math.min(names.length, routes.maxBatchSize), operations: names };
    }
    const m = method === "HEAD" ? "GET" : method;
    for (const r of rest) if (r.method === m && r.re.test(path)) return { access: r.access, cost: r.access === "public" ? 0 : 1, operations: [r.operationId] };
    // Unknown routes need a key too: a keyless scanner learns nothing and is address-limited.
    return { access: "read", cost: 1, operations: [] };
  };
}

/** The limiters the gate applies. */
export interface GateLimits {
  /** Per-key buckets (null: off). */
  perKey: RateLimiter | null;
  /** Per-address buckets for requests without a usable key (null: off). */
  perAddress: RateLimiter | null;
}

/**
 * Check a request's credential against its requirement: returns the caller (null for public
 * requests), or throws RATE_LIMITED (the address's or the key's bucket is empty), UNAUTHORIZED or
 * FORBIDDEN (an admin operation with a lesser key, a search key beyond its operations, a key used
 * from an origin it is not allowed on). `address` is the client address, read only when the
 * credential fails; `origin` the request's Origin header.
 */
export function checkRequest(req: Requirement, cred: Credential, limits: GateLimits, address: () => string | null, origin: string | null = null): Auth | null {
  if (req.access === "public") return cred.auth;
  if (cred.auth === null) {
    const d = limits.perAddress?.take(addressBucket(address()));
    if (d && !d.ok) {
      throw new ApiError("RATE_LIMITED", `too many requests without a valid API key from this address; retry after ${d.retryAfter} s`, { retryAfter: d.retryAfter });
    }
  }
  const auth = authorize(cred, req.access as "read" | "admin");
  checkScope(auth, req.operations);
  checkOrigin(auth, origin);
  const d = req.cost > 0 ? limits.perKey?.take(auth.keyId, req.cost) : undefined;
  if (d && !d.ok) throw rateLimited(auth.keyId, d.retryAfter);
  return auth;
}

function rateLimited(keyId: string, retryAfter: number): ApiError {
  return new ApiError("RATE_LIMITED", `rate limit exceeded for key "${keyId}"; retry after ${retryAfter} s`, { retryAfter });
}

/**
 * Charge a call's cost (request-cost.ts, in tokens) to its key once its input is valid, before its
 * work: the gate took one token per call, so `tokens` − 1 more are taken here, possibly below zero
 * (rate-limit.ts `charge`); the key's next requests then wait at the gate. Nothing to do without a
 * caller (public routes) or a per-key limit.
 */
export function chargeCall(limits: GateLimits, auth: Auth | null, tokens: number): void {
  if (auth && limits.perKey && tokens > 1) limits.perKey.charge(auth.keyId, tokens - 1);
}
