// The jobs layer on Node: the manager, its runners, the record store and the terminal view.
// The portable layers (api/http, api/edge) import the contract file, types.ts, instead of this
// entry, so the Worker never bundles child processes or the file system.
//
// Exports:
//   createJobManager, JobManager, JobManagerOptions, JobLogger   the queue and its compute slot
//   transition, newJobRecord, JobTransition, JobExit, NewJob     a record's changes, as pure functions
//   createLocalRunner, createContainerRunner, JobRunner,         how job processes start
//     JobProcess, JobLaunch, LocalRunnerOptions, ContainerRunnerOptions
//   JOB_NICE                                                     default niceness of local jobs
//   jobDir, jobsRoot, readJobRecords, readJobRecord, listJobIds  records under <data>/jobs (and a store URI's jobs/ objects)
//   createJobsReader, JobsReaderOptions                          a read replica's jobs: list, get, logs, watch; no changes
//   showJob, evalTable, ShowJobOptions                           a job on a terminal
//   retrainCommand                                               `vitrine retrain`
//   types.ts, the contract: JobsService, JobEvent, JobError, JobErrorCode
export { createJobManager, type JobManager, type JobManagerOptions, type JobLogger } from "./job-manager.ts";
export { newJobRecord, transition, type JobExit, type JobTransition, type NewJob } from "./job-transitions.ts";
export { createContainerRunner, createLocalRunner, JOB_NICE, type ContainerRunnerOptions, type JobLaunch, type JobProcess, type JobRunner, type LocalRunnerOptions } from "./runners.ts";
export { jobDir, jobsRoot, listJobIds, readJobRecord, readJobRecords } from "./job-store.ts";
export { createJobsReader, type JobsReaderOptions } from "./job-reader.ts";
export { evalTable, showJob, type ShowJobOptions } from "./job-view.ts";
export { retrainCommand } from "./retrain-command.ts";
export * from "./types.ts";
