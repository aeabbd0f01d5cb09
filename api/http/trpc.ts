// The project's one initTRPC: context, error formatting and the procedure kinds (public, read,
// admin). Routers everywhere (the app router, the jobs router later) build on these exports.
import { initTRPC, TRPCError } from "@trpc/server";
import { admit, type Auth, type Credential, type Role } from "./auth.ts";
import { toApiError, trpcCodeFor, type ApiErrorCode } from "./errors.ts";
import { assertInputDepth } from "./input-guard.ts";
import type { FieldIssue } from "../../core/index.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { RetrievalService } from "../service/types.ts";
import type { JobsService } from "../jobs/types.ts";

/** What every procedure sees. */
export interface Context {
  /** The retrieval service behind the API. */
  service: RetrievalService;
  /** The job manager, or null where this server runs no jobs (the edge). */
  jobs: JobsService | null;
  /** The authenticated caller, or null (then `credential.failure` says why). */
  auth: Auth | null;
  /** The request's credentials as read from its headers. */
  credential: Credential;
  /** Request id (x-request-id), echoed in errors and logs. */
  requestId: string;
  /** Per-key rate limiter; null disables limiting. */
  limiter: RateLimiter | null;
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

const t = initTRPC.context<Context>().create({
  // Never attach stacks, whatever NODE_ENV says.
  isDev: false,
  // jobs.watch streams for as long as a job runs; pings keep proxies from closing a quiet stream.
  sse: { ping: { enabled: true, intervalMs: 15_000 } },
  errorFormatter({ shape, error, ctx }) {
    const api = toApiError(error);
    const body = api.body(ctx?.requestId ?? "");
    const data: ErrorData = { ...body, httpStatus: api.status, ...(shape.data.path ? { path: shape.data.path } : {}) };
    if (api.extra.retryAfter !== undefined) data.retryAfter = api.extra.retryAfter;
    return { code: shape.code, message: api.message, data };
  },
});

/** Build a router from procedures and sub-routers. */
export const router = t.router;

/** Merge routers side by side. */
export const mergeRouters = t.mergeRouters;

/** Server-side caller factory (tests, in-process use). */
export const createCallerFactory = t.createCallerFactory;

// Procedures throw CoreError/ServiceError/ApiError/ZodError; re-throw each as a TRPCError whose code
// gives the right HTTP status, with the ApiError as cause for the formatter.
const mapErrors = t.middleware(async ({ next, getRawInput }) => {
  const rethrow = (err: unknown): never => {
    const api = toApiError(err);
    throw new TRPCError({ code: trpcCodeFor(api.status), message: api.message, cause: api });
  };
  try {
    // Before the input parser runs: deep inputs would overflow its recursion (see input-guard.ts).
    assertInputDepth(await getRawInput());
  } catch (e) {
    rethrow(e);
  }
  const result = await next();
  if (result.ok) return result;
  const api = toApiError(result.error);
  if (result.error.code === trpcCodeFor(api.status) && result.error.cause === api) return result;
  return rethrow(api);
});

const requireRole = (role: Role) =>
  t.middleware(({ ctx, next }) => {
    const auth = admit(ctx.credential, role, ctx.limiter);
    return next({ ctx: { auth } });
  });

/** A procedure anyone may call (health). */
export const publicProcedure = t.procedure.use(mapErrors);

/** A procedure that needs a read or admin key; rate limited per key. */
export const readProcedure = publicProcedure.use(requireRole("read"));

/** A procedure that needs an admin key; rate limited per key. */
export const adminProcedure = publicProcedure.use(requireRole("admin"));
