// The verb table of the dispatcher: each verb's flag table (core/cli/verbs/, light: `vitrine <verb>
// --help` and the verb list never load a verb's module) and a loader of its runner, imported only
// when the verb runs (serve never loads TF.js; a hash publish never loads ONNX Runtime).
import type { FlagTable, VerbSpec } from "../core/cli/index.ts";
import { DATASETS, DEMO, EDGE, EMBED, EVAL, EXPORT, FINETUNE, IMPORT, JOB_RUN, JOBS, KEYS, PRETRAIN, PUBLISH, RELEASES, RETRAIN, SERVE } from "../core/cli/verbs/index.ts";

/** A verb's runner: the words after the verb in, the exit code out (it reports its own errors). */
export type Runner = (argv: string[]) => Promise<number>;

/** One CLI verb. */
export interface Verb {
  /** Flags, sub-verbs, usage and examples: the parser and the --help text. */
  spec: VerbSpec<FlagTable, string>;
  /** Loads the verb's runner. */
  load: () => Promise<Runner>;
}

/** Every verb, in the order `vitrine --help` lists them. */
export const VERBS: Record<string, Verb> = {
  datasets: { spec: DATASETS, load: async () => (await import("../datasets/cli.ts")).datasetsCommand },
  import: { spec: IMPORT, load: async () => (await import("../ingest/cli.ts")).importCommand },
  pretrain: { spec: PRETRAIN, load: async () => (await import("../gpu-jobs/cli.ts")).pretrainCommand },
  finetune: { spec: FINETUNE, load: async () => (await import("../gpu-jobs/cli.ts")).finetuneCommand },
  export: { spec: EXPORT, load: async () => (await import("../gpu-jobs/cli.ts")).exportCommand },
  embed: { spec: EMBED, load: async () => (await import("../gpu-jobs/cli.ts")).embedCommand },
  eval: { spec: EVAL, load: async () => (await import("../gpu-jobs/eval/eval-command.ts")).evalCommand },
  publish: {
    spec: PUBLISH,
    load: async () => {
      const { publishCommand } = await import("../lancedb/cli.ts");
      // The store may not import encoders (DESIGN §1): publish gets the ONNX side from here,
      // imported only when --encoder onnx runs (hash publishes never load ONNX Runtime).
      const { onnxLoaders } = await import("../encoders/index.ts");
      return (argv) => publishCommand(argv, onnxLoaders);
    },
  },
  releases: { spec: RELEASES, load: async () => (await import("../lancedb/cli.ts")).releasesCommand },
  edge: { spec: EDGE, load: async () => (await import("../lancedb/edge-command.ts")).edgeCommand },
  serve: { spec: SERVE, load: async () => (await import("../api/cli.ts")).serveCommand },
  keys: { spec: KEYS, load: async () => (await import("../api/cli.ts")).keysCommand },
  retrain: { spec: RETRAIN, load: async () => (await import("../api/jobs/index.ts")).retrainCommand },
  jobs: { spec: JOBS, load: async () => (await import("./jobs-command.ts")).jobsCommand },
  "job-run": { spec: JOB_RUN, load: async () => (await import("../gpu-jobs/jobs/run-job.ts")).jobRunCommand },
  demo: { spec: DEMO, load: async () => (await import("./demo.ts")).demoCommand },
};
