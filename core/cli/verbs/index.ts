// Every verb's table (bin/verbs.ts pairs each with the loader of its runner). Light by
// construction: these files import only core (a test walks their imports), so listing verbs and
// --help load no verb module.
import { DATASETS } from "./datasets.ts";
import { DEMO } from "./demo.ts";
import { EDGE } from "./edge.ts";
import { EMBED } from "./embed.ts";
import { EVAL } from "./eval.ts";
import { EXPORT } from "./export.ts";
import { FINETUNE } from "./finetune.ts";
import { IMPORT } from "./import.ts";
import { JOB_RUN } from "./job-run.ts";
import { JOBS } from "./jobs.ts";
import { KEYS } from "./keys.ts";
import { PRETRAIN } from "./pretrain.ts";
import { PUBLISH } from "./publish.ts";
import { RELEASES } from "./releases.ts";
import { RETRAIN } from "./retrain.ts";
import { SERVE } from "./serve.ts";

export { ABLATION_ROW_IDS } from "./eval.ts";
export { DATASETS, DEMO, EDGE, EMBED, EVAL, EXPORT, FINETUNE, IMPORT, JOB_RUN, JOBS, KEYS, PRETRAIN, PUBLISH, RELEASES, RETRAIN, SERVE };
