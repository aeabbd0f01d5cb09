// Jobs over REST (DESIGN §7): the same JobsService the tRPC jobs router calls, in the REST route
// table, so the gate, input validation, errors, redaction and the OpenAPI document treat them like
// every other /v1 route. Events stream as server-sent events (`event: <type>`, data: a JobEvent).
import { z } from "zod";
import { JOB_KINDS, JOB_STATES, JobConfigSchema, JobIdSchema, ListJobsInputSchema, TriggerInputSchema, type JobRecord } from "../../core/jobs/index.ts";
import { jobsOf } from "./jobs-router.ts";
import { route, type RestRoute } from "./rest.ts";
import type { JobEvent } from "../jobs/types.ts";

const StageNameSchema = z.enum(["pretrain", "finetune", "export", "embed", "eval", "publish"]);

/** A job's record (documents the output; checked against JobRecord below). */
export const JobRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  config: JobConfigSchema,
  state: z.enum(JOB_STATES),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  stages: z.array(
    z.object({
      name: StageNameSchema,
      state: z.enum(["pending", "running", "succeeded", "failed", "skipped"]),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      metrics: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
    }),
  ),
  progress: z
    .object({
      stage: StageNameSchema,
      done: z.number(),
      total: z.number(),
      unit: z.string(),
      rate: z.number().nullable(),
      detail: z.record(z.string(), z.union([z.number(), z.string()])),
    })
    .nullable(),
  gate: z
    .object({
      slice: z.string(),
      checks: z.array(z.object({ metric: z.string(), candidate: z.number(), active: z.number().nullable(), passed: z.boolean() })),
      pairs: z.number(),
      candidateRelease: z.string().nullable(),
      activeRelease: z.string().nullable(),
      tolerance: z.number(),
      passed: z.boolean(),
      forced: z.boolean(),
      message: z.string(),
    })
    .nullable(),
  release: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  pid: z.number().int().nullable(),
  exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }).nullable(),
  resumable: z.boolean(),
  triggeredBy: z.string().nullable(),
});

/** One server-sent event of /v1/jobs/{id}/events. */
export const JobEventSchema = z.object({ type: z.enum(["snapshot", "state", "stage", "progress", "log"]), job: JobRecordSchema, line: z.string().optional() });

const JobsListSchema = z.object({ jobs: z.array(JobRecordSchema) });
const JobLogsSchema = z.object({ lines: z.array(z.string()) });
const JobPathSchema = z.object({ id: JobIdSchema });
const JobLogsInputSchema = z.object({ id: JobIdSchema, tail: z.number().int().min(1).max(10_000).optional() });
const ListInputSchema = ListJobsInputSchema.unwrap();

/** The /v1/jobs routes. */
export const JOB_ROUTES: readonly RestRoute[] = [
  route({
    method: "GET",
    path: "/v1/jobs",
    operationId: "jobs.list",
    summary: "List jobs, newest first",
    access: "read",
    tag: "jobs",
    inputFrom: "query",
    input: ListInputSchema,
    queryParams: [
      { name: "limit", required: false, description: "at most this many (1–1000, default 100)" },
      { name: "state", required: false, description: `only jobs in this state (${JOB_STATES.join(", ")})` },
    ],
    output: JobsListSchema,
    run: async (_s, input, _a, ctx) => ({ jobs: await jobsOf(ctx).list(input) }),
  }),
  route({
    method: "POST",
    path: "/v1/jobs",
    operationId: "jobs.trigger",
    summary: "Queue a job (admin): retrain or one of its stages; it starts when the compute slot is free",
    access: "admin",
    tag: "jobs",
    inputFrom: "body",
    input: TriggerInputSchema,
    output: JobRecordSchema,
    status: 202,
    example: { kind: "retrain", config: { preset: "cpu", gate: { metrics: ["ndcg@10", "recall@100"], tolerance: 0.01 } } },
    run: (_s, input, auth, ctx) => jobsOf(ctx).trigger(input.kind, input.config ?? {}, auth.keyId),
  }),
  route({
    method: "GET",
    path: "/v1/jobs/:id",
    operationId: "jobs.get",
    summary: "A job's record: state, stages, progress, the eval gate's decision, the release it published",
    access: "read",
    tag: "jobs",
    inputFrom: "path",
    input: JobPathSchema,
    output: JobRecordSchema,
    run: (_s, input, _a, ctx) => jobsOf(ctx).get(input.id),
  }),
  route({
    method: "GET",
    path: "/v1/jobs/:id/logs",
    operationId: "jobs.logs",
    summary: "The last lines of a job's log",
    access: "read",
    tag: "jobs",
    inputFrom: "path",
    input: JobLogsInputSchema,
    queryParams: [{ name: "tail", required: false, description: "how many lines (1–10000, default 200)" }],
    output: JobLogsSchema,
    run: async (_s, input, _a, ctx) => ({ lines: await jobsOf(ctx).logs(input.id, input.tail) }),
  }),
  route({
    method: "POST",
    path: "/v1/jobs/:id/cancel",
    operationId: "jobs.cancel",
    summary: "Stop a queued or running job (admin); 409 when it already finished",
    access: "admin",
    tag: "jobs",
    inputFrom: "path",
    input: JobPathSchema,
    output: JobRecordSchema,
    run: (_s, input, _a, ctx) => jobsOf(ctx).cancel(input.id),
  }),
  route({
    method: "POST",
    path: "/v1/jobs/:id/resume",
    operationId: "jobs.resume",
    summary: "Continue a failed, cancelled or interrupted job from its checkpoints (admin); 409 when it is running or succeeded",
    access: "admin",
    tag: "jobs",
    inputFrom: "path",
    input: JobPathSchema,
    output: JobRecordSchema,
    run: (_s, input, _a, ctx) => jobsOf(ctx).resume(input.id),
  }),
  route({
    method: "GET",
    path: "/v1/jobs/:id/events",
    operationId: "jobs.events",
    summary: "A job's events as server-sent events until it ends (event: snapshot first, then state/stage/progress/log; data: the JobEvent; a ping comment every 15 s)",
    access: "read",
    tag: "jobs",
    inputFrom: "path",
    input: JobPathSchema,
    output: JobEventSchema,
    stream: "sse",
    run: async (_s, input, _a, ctx): Promise<AsyncIterable<JobEvent>> => {
      const jobs = jobsOf(ctx);
      // An unknown id is a JSON 404 before any stream starts.
      await jobs.get(input.id);
      return jobs.watch(input.id, ctx.signal);
    },
  }),
];

// Compile-time guard: the documented record is exactly the jobs contract's.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type _JobRecordMatchesContract = [Same<z.output<typeof JobRecordSchema>, JobRecord>] extends [true] ? true : never;
const _check: _JobRecordMatchesContract = true;
void _check;
