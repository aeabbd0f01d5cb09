// Zod schemas of the jobs API (DESIGN §7): what a caller may ask a job to do. Strict objects, so a
// misspelt option is an error naming the field rather than a silent default. The API validates
// triggers with them and the job process (gpu-jobs/jobs) parses its config with the same schema.
import { z } from "zod";
import { BACKEND_NAMES, GATE_METRICS, JOB_KINDS, JOB_STATES, PRESET_NAMES } from "./constants.ts";

// The names live in constants.ts (no zod); every importer of the schemas still finds them here.
export * from "./constants.ts";

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const frac = z.number().min(0).max(1);

/** Everything a job can be configured with; each kind reads the sections it needs. */
export const JobConfigSchema = z
  .object({
    /** Model preset: tiny (tests), cpu (2 cores), base (GPU). */
    preset: z.enum(PRESET_NAMES).optional(),
    /** Force a TF.js backend. */
    backend: z.enum(BACKEND_NAMES).optional(),
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
        /** A frozen ONNX image backbone on the machine the job runs on (FILE.json beside it); later stages use the one the run records. */
        imageEncoder: z
          .string()
          .max(4096)
          .regex(/\.onnx$/i, { error: "imageEncoder must be the path of an .onnx file (its .json beside it)" }),
        /** Data-parallel worker threads (default: one per core on wasm). */
        workers: int(1, 1024),
        /** Stage 1's objective (default align); classify and contrast need stage1Fraction > 0, classify a catalog with categories. */
        stage1: z.enum(["align", "classify", "contrast"]),
        /** Patches per thumbnail side (default: the import's, 4); must divide the import's image size. */
        patchGrid: int(1, 64),
        /** The patch CNN's channels, one per conv layer (default: the preset's). */
        cnnChannels: z.array(int(1, 1024)).min(1).max(4),
        /** Share of stage-2 items with an image trained with a blank title (default 0). */
        titleDropout: z.number().min(0).max(0.99),
        /** Weight of image–image contrastive learning beside matching in stage 2 (default 0: off); needs the patch CNN. */
        imageContrast: z.number().min(0).max(10),
        /** A whole-image token beside the patch tokens (default false). */
        globalToken: z.boolean(),
        /** The whole-image token's share of the fused image summary, in (0, 1); needs globalToken and fusion fusion (default: a plain mean over the image tokens). */
        globalWeight: z.number().gt(0).lt(1),
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
        /** Data-parallel worker threads (default 1). */
        workers: int(1, 1024),
      })
      .partial()
      .strict()
      .optional(),
    export: z
      .object({ samples: int(1, 100_000) })
      .partial()
      .strict()
      .optional(),
    embed: z
      .object({ batchSize: int(1, 65_536) })
      .partial()
      .strict()
      .optional(),
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
        /** Fit the popularity prior's weight with the blend (default true; false: as `vitrine publish --no-prior`). */
        prior: z.boolean(),
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
