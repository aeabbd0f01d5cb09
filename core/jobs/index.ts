// The jobs contract (DESIGN §7) between the job manager (api/jobs) and the job process
// (gpu-jobs/jobs), separate processes that may not import each other (DESIGN §1). A sub-entry of
// core, apart from core/index.ts: only the two sides of a job (and the HTTP router that validates
// triggers) need it. Runtime-agnostic; loads zod (the schemas). The light names alone (constants.ts,
// for the CLI's verb tables) are reached inside core, not through this entry.
//
// Exports:
//   JobConfigSchema, JobConfig,                     what a job is asked to do (zod), and the API's inputs
//     TriggerInputSchema, JobRefSchema,
//     JobIdSchema, ListJobsInputSchema,
//     JobLogsInputSchema
//   JOB_KINDS, JobKind, JOB_STATES, JobState,       the names (constants.ts, re-exported by schemas.ts)
//     GATE_METRICS, GateMetric,
//     DEFAULT_GATE_METRICS, DEFAULT_GATE_MIN_PAIRS,
//     PRESET_NAMES, PresetName, BACKEND_NAMES
//   JobRecord, StageName, StageRecord,              a job's record, its stages and live progress, the
//     JobProgress, GateCheck, GateDecision,           eval gate's decision; the stages of each kind
//     JOB_STAGES, TERMINAL_STATES
//   ChildEvent, encodeEvent, parseEventLine         the `::vitrine-event` lines the job process prints
export * from "./schemas.ts";
export {
  JOB_STAGES,
  TERMINAL_STATES,
  type GateCheck,
  type GateDecision,
  type JobProgress,
  type JobRecord,
  type StageName,
  type StageRecord,
} from "./types.ts";
export { encodeEvent, parseEventLine, type ChildEvent } from "./protocol.ts";
