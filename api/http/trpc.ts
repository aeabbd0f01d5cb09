// The project's one initTRPC: context, error formatting and the procedure kinds (public, read,
// admin). Routers everywhere (the app router, the jobs router later) build on these exports.
import { initTRPC, TRPCError } from "@trpc/server";
import { authorize, checkScope, type Auth, type Credential } from "./auth.ts";
import { toApiError, trpcCodeFor, type ApiErrorCode } from "./errors.ts";
import { assertInputDepth } from "./input-guard.ts";
import type { FieldIssue } from "../../core/index.ts";
import type { Redactor } from "./redact.ts";
import type { RetrievalService } from "../service/types.ts";
import type { SearchOps } from "./search-ops.ts";
import type { JobsService } from "../jobs/types.ts";

/** What every procedure sees. */
export interface Context {
  /** The retrieval service behind the API. */
  service: RetrievalService;
  /** Retrieve and similar for this request (result window, cursors, metrics, query log). */
  search: SearchOps;
  /** The job manager, or null where this server runs no jobs (the edge). */
  jobs: JobsService | null;
  /** The authenticated caller, or null (then `credential.failure` says why). */
  auth: Auth | null;
  /** The request's credentials as read from its headers. */
  credential: Credential;
  /** Request id (x-request-id), echoed in errors and logs. */
  requestId: string;
  /** Rewrites server paths out of what the client is sent (redact.ts). */
  redact: Redactor;
  /** Charges a call's cost in tokens to the caller's key (absent: in-process callers, not limited). */
  charge?: (tokens: number) => void;
}

/** The `data` of every tRPC error: the same code, issues and requestId as a REST error body. */
// A type alias, not an interface: tRPC infers the error shape only from index-compatible types.
export type ErrorData = {
  /** Our error code (see errors.ts ERROR_STATUS). */
  code: ApiErrorCode;
  /** HTTP status sent. */
  httpStatus: number;
  /** Per-field problems, for validation errors. */
  issues?: FieldIssue[];
  /** Request id, also in the x-request-id header. */
  requestId: string;
  /** Procedure path, when known. */
  path?: string;
  /** For RATE_LIMITED: seconds to wait (also the Retry-After header). */
  retryAfter?: number;
};

// Procedure metadata: who may call it (public, read: a read or admin key, admin). The HTTP gate
// (gate.ts) reads it before any input is read. Spelled out, not an alias: the SDK publishes the
// router's type (sdk/build.mjs), which may name no server type.
const t = initTRPC
  .context<Context>()
  .meta<{ access: "public" | "read" | "admin" }>()
  .create({
    // Never attach stacks, whatever NODE_ENV says.
    isDev: false,
    // jobs.watch streams for as long as a job runs; pings keep proxies from closing a quiet stream.
    sse: { ping: { enabled: true, intervalMs: 15_000 } },
    errorFormatter({ shape, error, ctx }) {
      const api = toApiError(error);
      const body = ctx ? ctx.redact(api.body(ctx.requestId)) : api.body("");
      const data: ErrorData = { ...body, httpStatus: api.status, ...(shape.data.path ? { path: shape.data.path } : {}) };
      if (api.extra.retryAfter !== undefined) data.retryAfter = api.extra.retryAfter;
      return { code: shape.code, message: body.message, data };
    },
  });

/** Build a router from procedures and sub-routers. */
export const router = t.router;

/** Merge routers side by side. */
export const mergeRouters = t.mergeRouters;

/** Server-side caller factory (tests, in-process use). */
export const createCallerFactory = t.createCallerFactory;

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

async function* redacted(source: AsyncIterable<unknown>, redact: Redactor): AsyncGenerator<unknown> {
  for await (const v of source) yield redact(v);
}

// Procedures throw CoreError/ServiceError/ApiError/ZodError; re-throw each as a TRPCError whose code
// gives the right HTTP status, with the ApiError as cause for the formatter. Results (and each
// event of a subscription) leave without server paths.
const mapErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (result.ok) {
    const data = isAsyncIterable(result.data) ? redacted(result.data, ctx.redact) : ctx.redact(result.data);
    return { ...result, data };
  }
  const api = toApiError(result.error);
  if (result.error.code === trpcCodeFor(api.status) && result.error.cause === api) return result;
  throw new TRPCError({ code: trpcCodeFor(api.status), message: api.message, cause: api });
});

// Before the input parser runs: deep inputs would overflow its recursion (see input-guard.ts).
// After the role check, so a caller without the right key never gets its input read.
const depthGuard = t.middleware(async ({ next, getRawInput }) => {
  assertInputDepth(await getRawInput());
  return next();
});

const requireRole = (role: "read" | "admin") =>
  t.middleware(({ ctx, next, path }) => {
    // The gate (gate.ts) already checked the key, its scope and origin, and took its tokens; this
    // is defence in depth for callers that bypass HTTP (createCaller) or a path the gate misread.
    const auth = authorize(ctx.credential, role);
    checkScope(auth, [path]);
    return next({ ctx: { auth } });
  });

/** Charge the call's cost (request-cost.ts) to the caller's key once its input is valid, before any work. */
export const charged = <I>(tokens: (input: I) => number) =>
  t.middleware(({ ctx, input, next }) => {
    ctx.charge?.(tokens(input as I));
    return next();
  });

/** A procedure anyone may call (health). */
export const publicProcedure = t.procedure.meta({ access: "public" }).use(mapErrors).use(depthGuard);

/** A procedure that needs a read or admin key; rate limited per key (by the gate). */
export const readProcedure = t.procedure.meta({ access: "read" }).use(mapErrors).use(requireRole("read")).use(depthGuard);

/** A procedure that needs an admin key; rate limited per key (by the gate). */
export const adminProcedure = t.procedure.meta({ access: "admin" }).use(mapErrors).use(requireRole("admin")).use(depthGuard);
