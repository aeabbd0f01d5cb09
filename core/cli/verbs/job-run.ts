// `vitrine job-run`: the table (the runner is gpu-jobs/jobs/run-job.ts).
import { defineVerb } from "../spec.ts";

export const JOB_RUN = defineVerb({
  name: "job-run",
  summary: "run one job in this process (started by the job manager; not for direct use)",
  flags: {
    job: { type: "string", value: "DIR", required: true, help: "a job folder (<data>/jobs/<id>) holding job.json" },
    resume: { type: "boolean", help: "continue from the job's checkpoints and finished stages" },
  },
  notes: "Writes event lines (::vitrine-event {...}) to stdout for the manager; other output is the log.",
});
