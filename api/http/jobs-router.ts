// jobs.* procedures (DESIGN §7): trigger, cancel and resume need an admin key; get, list, logs and
// watch a read key. watch is a tRPC subscription, streamed as server-sent events.
import { adminProcedure, readProcedure, router } from "./trpc.ts";
import { JobError, type JobsService } from "../jobs/types.ts";
import { JobLogsInputSchema, JobRefSchema, ListJobsInputSchema, TriggerInputSchema } from "../../core/jobs/index.ts";

/** The job manager, or UNAVAILABLE where this server runs none (the edge, VITRINE_JOBS=off). */
export function jobsOf(ctx: { jobs: JobsService | null }): JobsService {
  if (!ctx.jobs) throw new JobError("UNAVAILABLE", "this server runs no jobs (the edge forwards them to the origin; a Node API serves them)");
  return ctx.jobs;
}

/** The jobs router, mounted at `jobs` in the AppRouter. */
export const jobsRouter = router({
  trigger: adminProcedure.input(TriggerInputSchema).mutation(({ ctx, input }) => jobsOf(ctx).trigger(input.kind, input.config ?? {}, ctx.auth?.keyId ?? null)),
  get: readProcedure.input(JobRefSchema).query(({ ctx, input }) => jobsOf(ctx).get(input.id)),
  list: readProcedure.input(ListJobsInputSchema).query(async ({ ctx, input }) => ({ jobs: await jobsOf(ctx).list(input ?? {}) })),
  logs: readProcedure.input(JobLogsInputSchema).query(async ({ ctx, input }) => ({ lines: await jobsOf(ctx).logs(input.id, input.tail) })),
  cancel: adminProcedure.input(JobRefSchema).mutation(({ ctx, input }) => jobsOf(ctx).cancel(input.id)),
  resume: adminProcedure.input(JobRefSchema).mutation(({ ctx, input }) => jobsOf(ctx).resume(input.id)),
  watch: readProcedure.input(JobRefSchema).subscription(async function* ({ ctx, input, signal }) {
    yield* jobsOf(ctx).watch(input.id, signal);
  }),
});
