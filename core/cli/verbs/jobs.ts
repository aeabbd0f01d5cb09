// `vitrine jobs list|get|trigger|watch|cancel|resume|logs`: the table (the runner is bin/jobs-command.ts).
import { JOB_KINDS, JOB_STATES } from "../../jobs/constants.ts";
import { defineVerb } from "../spec.ts";

const ID = { name: "JOB_ID" } as const;

export const JOBS = defineVerb({
  name: "jobs",
  summary: "list, trigger, watch, cancel or resume jobs of a running API (through the SDK)",
  subverbNoun: "action",
  subverbs: {
    list: { summary: "the API's jobs, newest first" },
    get: { summary: "one job's record as JSON", args: [ID] },
    trigger: { summary: "start a job and watch it (admin key)", args: [{ name: "KIND", choices: JOB_KINDS }] },
    watch: { summary: "progress bars per stage until it ends, then the eval table", args: [ID] },
    cancel: { summary: "cancel a queued or running job (admin key)", args: [ID] },
    resume: { summary: "resume a failed, cancelled or interrupted job (admin key)", args: [ID] },
    logs: { summary: "the job's log lines", args: [ID] },
  },
  flags: {
    url: { type: "string", value: "URL", env: "VITRINE_URL", default: "http://127.0.0.1:8787", help: "the API" },
    key: { type: "string", value: "KEY", env: "VITRINE_KEY", required: true, help: "API key; admin for trigger, cancel and resume" },
    config: {
      type: "string",
      value: "JSON",
      subverbs: ["trigger"],
      help: `job configuration, e.g. '{"preset":"cpu","gate":{"metrics":["ndcg@10","recall@100"],"tolerance":0.01}}'`,
    },
    state: { type: "enum", choices: JOB_STATES, value: "STATE", subverbs: ["list"], help: "only jobs in this state" },
    tail: { type: "int", min: 1, max: 10_000, subverbs: ["logs"], help: "only the last N lines" },
    logs: { type: "boolean", subverbs: ["trigger", "watch"], help: "print the job's log lines under the progress bars" },
  },
  notes: "trigger and watch end with the eval table; Ctrl-C stops watching, not the job.",
  examples: ["vitrine jobs list --state running", 'vitrine jobs trigger retrain --config \'{"preset":"tiny"}\' --logs', "vitrine jobs logs j20261122-071500-ab12 --tail 50"],
});
