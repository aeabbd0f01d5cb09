// Types of the SDK, all derived from the server's AppRouter (type-only imports: nothing of the
// server ends up in the SDK bundle).
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../api/router.ts";

/** Inputs of every procedure. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** The `data` of the server's errors (code, httpStatus, issues, requestId, retryAfter). */
export type ErrorData = inferRouterError<AppRouter>["data"];
/** One field problem of a validation error. */
export type FieldIssueData = NonNullable<ErrorData["issues"]>[number];

/** Options of retrieve: everything but the query. */
export type RetrieveOptions = Omit<RouterInputs["retrieve"], "query">;
/** Filters retrieve accepts: the expression tree or the shorthand. */
export type Filters = NonNullable<RetrieveOptions["filters"]>;
/** The answer of retrieve. */
export type RetrieveResult = RouterOutputs["retrieve"];
/** One retrieved item. */
export type RetrievedItem = RetrieveResult["items"][number];
/** The answer of lookup. */
export type LookupResult = RouterOutputs["lookup"];
/** A stored item record. */
export type ItemRecord = RouterOutputs["items"]["get"]["items"][number];
/** A published release. */
export type ReleaseInfo = RouterOutputs["releases"]["list"]["releases"][number];
/** Liveness and the active release. */
export type Health = RouterOutputs["health"];
/** Which release to read from (default: the active one). */
export interface ReleaseOption {
  /** Release id such as r002. */
  release?: string;
}

/** A job's record (state, stages, progress, gate, release). */
export type JobRecord = RouterOutputs["jobs"]["get"];
/** Job kinds jobs.trigger accepts. */
export type JobKind = RouterInputs["jobs"]["trigger"]["kind"];
/** Job configuration: preset, pretrain/finetune/export/embed/gate/publish sections. */
export type JobConfig = NonNullable<RouterInputs["jobs"]["trigger"]["config"]>;
/** Filters of jobs.list. */
export type ListJobsOptions = NonNullable<RouterInputs["jobs"]["list"]>;
/** One event of jobs.watch. */
export type { JobEvent } from "../api/jobs/types.ts";
