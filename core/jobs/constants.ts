// The names of the jobs contract (kinds, states, gate metrics, presets, backends) without zod, so
// light importers (the CLI's verb tables, core/cli) can name them without loading the schemas.

/** The job kinds. retrain = pretrain → finetune → export → embed → eval → publish. */
export const JOB_KINDS = ["pretrain", "finetune", "export", "embed", "eval", "publish", "retrain"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Where a job is in its life (`interrupted`: the API stopped while it ran; resume it). */
export const JOB_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Metrics the eval gate can compare (on unseen held-out pairs). */
export const GATE_METRICS = ["recall@10", "recall@50", "recall@100", "recall@200", "hitrate@10", "hitrate@100", "ndcg@10"] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/** What the gate compares unless told otherwise: the top of the list and the depth of it. */
export const DEFAULT_GATE_METRICS: readonly GateMetric[] = ["ndcg@10", "recall@100"];

/** Fewest unseen held-out pairs the gate decides on by default. */
export const DEFAULT_GATE_MIN_PAIRS = 30;

/** Model presets: tiny (tests, seconds), cpu (2 cores, minutes), base (12×768, a GPU). */
export const PRESET_NAMES = ["tiny", "cpu", "base"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** TF.js backends a job or a training verb can force. */
export const BACKEND_NAMES = ["node-gpu", "node", "wasm", "cpu"] as const;
