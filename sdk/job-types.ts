// The SDK's public job types (jobs.trigger, get, list, watch), derived from the server's AppRouter
// like sdk/types.ts and written out in full into the published .d.ts by sdk/build.mjs.
import type { inferProcedureInput, inferProcedureOutput } from "@trpc/server";
import type { AppRouter } from "../api/http/index.ts";

type Jobs = AppRouter["jobs"];

/** Job kinds. retrain = pretrain → finetune → export → embed → eval → publish. */
export type JobKind = inferProcedureInput<Jobs["trigger"]>["kind"];

/** Where a job is in its life (`interrupted`: the API stopped while it ran; resume it). */
export type JobState = JobRecord["state"];

/** Job configuration; each kind reads the sections it needs. Unknown keys are refused by the server. */
export type JobConfig = NonNullable<inferProcedureInput<Jobs["trigger"]>["config"]>;

/** Metrics the eval gate can compare (on unseen held-out pairs). */
export type GateMetric = NonNullable<NonNullable<JobConfig["gate"]>["metrics"]>[number];

/** Filters of jobs.list. */
export type ListJobsOptions = NonNullable<Exclude<inferProcedureInput<Jobs["list"]>, void>>;

/** A job's record (state, stages, progress, gate, release). */
export type JobRecord = inferProcedureOutput<Jobs["get"]>;

/** A stage's record. */
export type StageRecord = JobRecord["stages"][number];

/** One pipeline stage. */
export type StageName = StageRecord["name"];

/** Live progress of the running stage. */
export type JobProgress = NonNullable<JobRecord["progress"]>;

/** What the eval gate decided before publishing. */
export type GateDecision = NonNullable<JobRecord["gate"]>;

/** One metric the gate compared. */
export type GateCheck = GateDecision["checks"][number];

/** One event of jobs.watch: a fresh copy of the record, and a log line when one came. */
export type JobEvent = inferProcedureOutput<Jobs["watch"]> extends AsyncIterable<infer E> ? E : never;
