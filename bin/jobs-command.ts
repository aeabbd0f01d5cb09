// `vitrine jobs <list|get|trigger|watch|cancel|resume|logs>`: the jobs API of a running server from
// a terminal, through the SDK (the same calls an app makes). Flags, sub-verbs and help come from
// the verb's table (core/cli/verbs/jobs.ts).
import { evalTable, showJob } from "../api/jobs/index.ts";
import { runVerb, UsageError, type ArgsOf } from "../core/cli/index.ts";
import { JOBS } from "../core/cli/verbs/index.ts";
import { CodedError, type ErrorKind } from "../core/index.ts";
import { createClient, VitrineError, type JobConfig, type JobKind, type JobRecord } from "../sdk/index.ts";

/** An SDK error as the CLI reports it: the server's code, and a kind (so an exit code) from its HTTP status. */
class ApiCallError extends CodedError<string> {
  override readonly name = "ApiCallError";
  constructor(readonly sdkError: VitrineError) {
    super(sdkError.code, sdkError.message, { cause: sdkError });
  }

  get kind(): ErrorKind {
    const s = this.sdkError.status;
    // 400: the kind, config or id given was refused; 401/403: the key given is not good enough.
    if (s === 400 || s === 401 || s === 403 || s === 413 || s === 415) return "usage";
    if (s === 404) return "missing";
    if (s === 409) return "conflict";
    if (s === 0 || s === 429 || s >= 500) return "unavailable";
    return "internal";
  }
}

function line(j: JobRecord): string {
  const stage = j.stages.find((s) => s.state === "running")?.name ?? j.stages.filter((s) => s.state !== "pending").at(-1)?.name ?? "-";
  const p = j.progress ? ` ${j.progress.done}/${j.progress.total} ${j.progress.unit}` : "";
  return `${j.id}  ${j.kind.padEnd(8)}  ${j.state.padEnd(11)}  ${stage}${p}${j.release ? `  → ${j.release}` : ""}${j.error ? `  (${j.error.slice(0, 120)})` : ""}`;
}

/** Run the verb; resolves to the exit code. */
export function jobsCommand(argv: string[]): Promise<number> {
  return runVerb(
    JOBS,
    argv,
    (args) =>
      jobs(args).catch((e: unknown) => {
        throw e instanceof VitrineError ? new ApiCallError(e) : e;
      }),
    { env: process.env },
  );
}

async function jobs({ subverb: action, args, values }: ArgsOf<typeof JOBS>): Promise<number> {
  const arg = args[0]!;
  let config: JobConfig | undefined;
  if (values.config) {
    try {
      config = JSON.parse(values.config) as JobConfig;
    } catch (e) {
      throw new UsageError("BAD_FLAG", `--config must be JSON, e.g. '{"preset":"cpu"}' (${(e as Error).message})`);
    }
  }
  const client = createClient({ url: values.url, apiKey: values.key });
  switch (action) {
    case "list":
      for (const j of await client.jobs.list(values.state ? { state: values.state } : {})) console.log(line(j));
      return 0;
    case "get":
      console.log(JSON.stringify(await client.jobs.get(arg), null, 2));
      return 0;
    case "logs":
      for (const l of await client.jobs.logs(arg, values.tail)) console.log(l);
      return 0;
    case "cancel":
    case "resume": {
      const j = action === "cancel" ? await client.jobs.cancel(arg) : await client.jobs.resume(arg);
      console.log(line(j));
      return 0;
    }
    case "trigger":
    case "watch": {
      const id = action === "trigger" ? (await client.jobs.trigger({ kind: arg as JobKind, ...(config ? { config } : {}) })).id : arg;
      if (action === "trigger") console.error(`job ${id} queued; watching (Ctrl-C stops watching, not the job)`);
      const final = await showJob(client.jobs.watch(id), { logs: values.logs });
      const table = evalTable(final);
      if (table) console.log(`\n${table}`);
      console.log(line(final));
      return final.state === "succeeded" ? 0 : 1;
    }
  }
}
