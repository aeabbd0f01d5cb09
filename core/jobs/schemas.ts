// Zod schemas of the jobs API (DESIGN §7): what a caller may ask a job to do. Strict objects, so a
// misspelt option is an error naming the field rather than a silent default. The API validates
// triggers with them and the job process (gpu-jobs/jobs) parses its config with the same schema.
import { z } from "zod";

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

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const frac = z.number().min(0).max(1);

/** Everything a job can be configured with; each kind reads the sections it needs. */
export const JobConfigSchema = z
  .object({
    /** Model preset: tiny (tests), cpu (2 cores), base (GPU). */
    preset: z.enum(["tiny", "cpu", "base"]).optional(),
    /** Force a TF.js backend. */
    backend: z.enum(["node-gpu", "node", "wasm", "cpu"]).optional(),
    pretrain: z
      .object({
        steps: int(1, 10_000_000),
        batchSize: int(2, 65_536),
        lr: z.number().positive(),
        seed: int(0, 2 ** 31 - 1),
        fusion: z.enum(["text", "concat", "fusion"]),
        mpm: z.enum(["contrastive", "regression"]),
        mbns: z.boolean(),
        cdns: z.boolean(),
        stage1Fraction: frac,
        checkpointEvery: int(1, 10_000_000),
      })
      .partial()
      .strict()
      .optional(),
    finetune: z
      .object({
        /** 0 skips fine-tuning. */
        steps: int(0, 10_000_000),
        batchSize: int(2, 65_536),
        negatives: int(1, 1_000_000),
        lr: z.number().positive(),
        seed: int(0, 2 ** 31 - 1),
        checkpointEvery: int(1, 10_000_000),
      })
      .partial()
      .strict()
      .optional(),
    export: z.object({ samples: int(1, 100_000) }).partial().strict().optional(),
    embed: z.object({ batchSize: int(1, 65_536) }).partial().strict().optional(),
    gate: z
      .object({
        /** Metrics compared against the active release on unseen held-out pairs; each must hold (default ndcg@10 and recall@100). */
        metrics: z.array(z.enum(GATE_METRICS)).min(1).max(GATE_METRICS.length),
        /** Largest drop allowed per metric, absolute (0.01 = one point). */
        tolerance: z.number().min(0).max(1),
        /** Fewest unseen held-out pairs the gate decides on (default 30); fewer → refused unless force. */
        minPairs: int(1, 10_000_000),
        /** Publish even when the gate refuses (the decision is still recorded). */
        force: z.boolean(),
      })
      .partial()
      .strict()
      .optional(),
    publish: z
      .object({
        /** Length of the precomputed qid lists. */
        topK: int(1, 10_000),
        /** Make the new release active (default true). */
        activate: z.boolean(),
        /** Then push it to the edge's Workers KV (credentials from the API's environment: CLOUDFLARE_ACCOUNT_ID, VITRINE_EDGE_KV_NAMESPACE, CLOUDFLARE_API_TOKEN). */
        edge: z.boolean(),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();
export type JobConfig = z.infer<typeof JobConfigSchema>;

/** A job id as the manager makes them. */
export const JobIdSchema = z.string().regex(/^j[0-9]{8}-[0-9]{6}-[a-z0-9]{4}$/, { error: "job ids look like j20261122-071500-ab12" });

/** Input of jobs.trigger. */
export const TriggerInputSchema = z.object({
  kind: z.enum(JOB_KINDS, { error: `kind must be one of ${JOB_KINDS.join(", ")}` }),
  config: JobConfigSchema.optional(),
});

/** Input of jobs.get / cancel / resume / watch. */
export const JobRefSchema = z.object({ id: JobIdSchema });

/** Input of jobs.list. */
export const ListJobsInputSchema = z
  .object({
    /** At most this many (default 100). */
    limit: int(1, 1000).optional(),
    /** Only jobs in this state. */
    state: z.enum(JOB_STATES).optional(),
  })
  .optional();

/** Input of jobs.logs. */
export const JobLogsInputSchema = z.object({ id: JobIdSchema, tail: int(1, 10_000).optional() });
