// `vitrine jobs <list|get|trigger|watch|cancel|resume|logs>`: the jobs API of a running server from
// a terminal, through the SDK (the same calls an app makes).
import { parseArgs } from "node:util";
import { evalTable, showJob } from "../api/jobs/index.ts";
import { createClient, VitrineError, type JobConfig, type JobKind, type JobRecord } from "../sdk/index.ts";

const ACTIONS = ["list", "get", "trigger", "watch", "cancel", "resume", "logs"] as const;

function line(j: JobRecord): string {
  const stage = j.stages.find((s) => s.state === "running")?.name ?? j.stages.filter((s) => s.state !== "pending").at(-1)?.name ?? "-";
  const p = j.progress ? ` ${j.progress.done}/${j.progress.total} ${j.progress.unit}` : "";
  return `${j.id}  ${j.kind.padEnd(8)}  ${j.state.padEnd(11)}  ${stage}${p}${j.release ? `  → ${j.release}` : ""}${j.error ? `  (${j.error.slice(0, 120)})` : ""}`;
}

/** Run the verb; resolves to the exit code. */
export async function jobsCommand(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { url: { type: "string" }, key: { type: "string" }, config: { type: "string" }, state: { type: "string" }, tail: { type: "string" }, logs: { type: "boolean" } },
    }));
  } catch (e) {
    console.error(`vitrine jobs: ${(e as Error).message}`);
    return 2;
  }
  const [action, arg] = positionals as [string | undefined, string | undefined];
  const url = values.url ?? process.env.VITRINE_URL ?? "http://127.0.0.1:8787";
  const apiKey = values.key ?? process.env.VITRINE_KEY;
  if (!action || !(ACTIONS as readonly string[]).includes(action)) {
    console.error(`vitrine jobs: say what to do: ${ACTIONS.join(", ")} (see vitrine jobs --help)`);
    return 2;
  }
  if (!apiKey) {
    console.error("vitrine jobs: --key KEY (or VITRINE_KEY) is required: an API key (admin for trigger, cancel, resume)");
    return 2;
  }
  if (action !== "list" && !arg) {
    console.error(`vitrine jobs ${action}: ${action === "trigger" ? "the job kind (e.g. retrain)" : "the job id"} is required`);
    return 2;
  }
  let config: JobConfig | undefined;
  if (values.config) {
    try {
      config = JSON.parse(values.config) as JobConfig;
    } catch (e) {
      console.error(`vitrine jobs: --config must be JSON, e.g. '{"preset":"cpu"}' (${(e as Error).message})`);
      return 2;
    }
  }
  const client = createClient({ url, apiKey });
  try {
    switch (action) {
      case "list":
        for (const j of await client.jobs.list(values.state ? { state: values.state as JobRecord["state"] } : {})) console.log(line(j));
        return 0;
      case "get":
        console.log(JSON.stringify(await client.jobs.get(arg!), null, 2));
        return 0;
      case "logs":
        for (const l of await client.jobs.logs(arg!, values.tail ? Number(values.tail) : undefined)) console.log(l);
        return 0;
      case "cancel":
      case "resume": {
        const j = action === "cancel" ? await client.jobs.cancel(arg!) : await client.jobs.resume(arg!);
        console.log(line(j));
        return 0;
      }
      case "trigger":
      case "watch": {
        const id = action === "trigger" ? (await client.jobs.trigger({ kind: arg as JobKind, ...(config ? { config } : {}) })).id : arg!;
        if (action === "trigger") console.error(`job ${id} queued; watching (Ctrl-C stops watching, not the job)`);
        const final = await showJob(client.jobs.watch(id), { logs: values.logs === true });
        const table = evalTable(final);
        if (table) console.log(`\n${table}`);
        console.log(line(final));
        return final.state === "succeeded" ? 0 : 1;
      }
    }
  } catch (e) {
    if (e instanceof VitrineError) {
      console.error(`vitrine jobs ${action}: ${e.code}: ${e.message}`);
      return e.code === "INVALID_INPUT" ? 2 : 1;
    }
    throw e;
  }
  return 2;
}
