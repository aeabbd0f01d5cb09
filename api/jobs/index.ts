// The jobs layer on Node: the manager, its runners and the record store (the router and the
// types are runtime-agnostic and imported directly by the app and the SDK).
export { createJobManager, type JobManager, type JobManagerOptions, type JobLogger } from "./job-manager.ts";
export { createContainerRunner, createLocalRunner, type ContainerRunnerOptions, type JobLaunch, type JobProcess, type JobRunner, type LocalRunnerOptions } from "./runners.ts";
export { jobDir, jobsRoot, readJobRecords } from "./job-store.ts";
export { JobError, type JobErrorCode } from "./errors.ts";
export type { JobEvent, JobsService } from "./types.ts";
