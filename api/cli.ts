// `vitrine serve --data DIR [--port 8787]`: load the retrieval service lazily, serve the API,
// print where and how to call it, and shut down cleanly on SIGINT/SIGTERM. Flags and help come from
// the verb's table (core/cli/verbs/serve.ts). Also `vitrine keys`: the data directory's API keys
// (api/node/key-file.ts), which serve reads when none are configured.
import cluster, { type Worker } from "node:cluster";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { runVerb, UsageError, type ArgsOf } from "../core/cli/index.ts";
import { KEYS, SERVE } from "../core/cli/verbs/index.ts";
import { ConfigError, parseConfig, perWorkerConfig, type ServerConfig } from "./http/index.ts";
import { createKey, KeyFileError, keyFilePath, readKeyFile, revokeKey, serveNode } from "./node/index.ts";
import type { ImageStore } from "./http/index.ts";
import type { RetrievalService } from "./service/types.ts";
import type { JobManager } from "./jobs/index.ts";

/** What api/service/index.ts must export. */
interface ServiceModule {
  /** Open the retrieval service on a data directory (reload callbacks are optional extras). */
  createRetrievalService(opts: {
    dataDir: string;
    onReload?: (info: { id: string }, ms: number) => void;
    onReloadError?: (err: unknown) => void;
    edgeEnv?: Record<string, string | undefined>;
    ivfWorkers?: number;
  }): RetrievalService | Promise<RetrievalService>;
  /** Open the images of GET /v1/images/:id on the same data directory. */
  createImageStore(opts: { dataDir: string }): ImageStore & { close(): Promise<void> };
}

/** An object store data URI (s3://bucket/prefix): lancedb/store-location.ts parses it; this only tells it from a folder without loading LanceDB. */
const STORE_URI = /^[a-z][a-z0-9+.-]*:\/\//i;

const SERVICE_MODULE = new URL("./service/index.ts", import.meta.url);

/** Import the service module only when serving (so --help and config errors stay fast). */
async function loadServiceModule(): Promise<ServiceModule> {
  if (!existsSync(fileURLToPath(SERVICE_MODULE))) {
    throw new Error("the retrieval service is not built yet: api/service/index.ts is missing (it must export createRetrievalService({ dataDir }))");
  }
  const mod = (await import(SERVICE_MODULE.href)) as Partial<ServiceModule>;
  if (typeof mod.createRetrievalService !== "function" || typeof mod.createImageStore !== "function") {
    throw new Error("api/service/index.ts does not export createRetrievalService({ dataDir }) and createImageStore({ dataDir })");
  }
  return mod as ServiceModule;
}

async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(`config file ${path}: cannot read it (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path}: not JSON (${(e as Error).message})`);
  }
}

/**
 * Flags and environment into the server configuration. The flags' table already read VITRINE_DATA,
 * VITRINE_PORT, VITRINE_HOST and VITRINE_CONFIG when the flag was absent; flags win over the
 * environment, which wins over the file.
 */
async function resolveConfig(values: ArgsOf<typeof SERVE>["values"], env: Record<string, string | undefined>): Promise<ServerConfig> {
  const configPath = values.config;
  const overlay = { ...env };
  if (values.port !== undefined) overlay.VITRINE_PORT = String(values.port);
  if (values.host !== undefined) overlay.VITRINE_HOST = values.host;
  if (values.data !== undefined) overlay.VITRINE_DATA = values.data;
  // A bad value from VITRINE_* or the config file is a ConfigError (kind input, exit 3).
  const file = configPath ? await readConfigFile(configPath) : {};
  const config = parseConfig(overlay, file, configPath ? `config file ${configPath}` : "config");
  if (!config.dataDir) throw new UsageError("MISSING_FLAG", "--data DIR is required (or VITRINE_DATA, or dataDir in the config file): the data directory `vitrine publish` wrote");
  // Serving a folder that does not exist used to create it and answer "no release" forever.
  // An s3://, az:// or gs:// store is checked by reaching it (the service's first load); another scheme is refused now, before the keys.
  if (STORE_URI.test(config.dataDir)) (await import("../lancedb/index.ts")).parseStoreUri(config.dataDir);
  else if (!existsSync(config.dataDir)) {
    const { StoreError } = await import("../lancedb/index.ts");
    throw new StoreError("STORE_MISSING", `--data ${config.dataDir}: no such directory; pass the data directory \`vitrine import\` and \`vitrine publish\` wrote (npm start uses data/demo)`);
  }
  return config;
}

/**
 * The keys to serve with: the configured ones (VITRINE_API_KEYS, the config file's `keys`), else
 * DIR/api-keys.json. None anywhere: refused (NO_KEYS, exit 4) — an operator expects the keys their
 * apps were given to keep working after a restart, so none are made up here.
 */
async function resolveKeys(config: ServerConfig, env: Record<string, string | undefined>): Promise<{ config: ServerConfig; source: string }> {
  const dataDir = config.dataDir!;
  const fromEnv = env.VITRINE_API_KEYS?.trim() ? "VITRINE_API_KEYS" : "the config file's keys";
  if (config.keys.length > 0) {
    const file = STORE_URI.test(dataDir) ? null : await readKeyFile(dataDir).catch(() => null);
    return { config, source: `${fromEnv}${file ? ` (${keyFilePath(dataDir)} is not read while keys are configured)` : ""}` };
  }
  if (STORE_URI.test(dataDir)) {
    throw new KeyFileError(
      "NO_KEYS",
      `no API keys: a store URI (${dataDir}) keeps no key file; set VITRINE_API_KEYS=id:key:role,... (a Kubernetes Secret, deploy/k8s/secret.yaml) or "keys" in the config file`,
    );
  }
  const file = await readKeyFile(dataDir);
  if (!file || file.keys.length === 0) {
    throw new KeyFileError(
      "NO_KEYS",
      `no API keys: the API answers every protected call 401 without one, so it does not start. Create one with \`vitrine keys create <id> [--role admin] --data ${dataDir}\` (kept in ${keyFilePath(dataDir)}, mode 0600, read at every start), or set VITRINE_API_KEYS=id:key:role,... (or "keys" in the config file)`,
    );
  }
  return { config: { ...config, keys: file.keys.map(({ createdAt: _, ...k }) => k) }, source: file.path };
}

/** What a caller of serveCommand gets once the server listens (the demo trains through it). */
export interface ServingContext {
  /** Base URL, e.g. http://127.0.0.1:8787. */
  url: string;
  /** The API's job manager (null with VITRINE_JOBS=off). */
  jobs: JobManager | null;
  /** The data directory served. */
  dataDir: string;
}

/** Extra behaviour for serveCommand. */
export interface ServeHooks {
  /** Runs once the server listens, alongside it (errors are printed; the server keeps serving). */
  onListening?: (ctx: ServingContext) => Promise<void>;
  /** The key to show in the printed curl line when keys are configured (the demo's read key). */
  displayKey?: string;
}

/** `vitrine serve`: resolves to the exit code once the server has shut down. */
export function serveCommand(argv: string[], env: Record<string, string | undefined> = process.env, hooks: ServeHooks = {}): Promise<number> {
  return runVerb(SERVE, argv, ({ values }) => serve(values, env, hooks), { env });
}

async function serve(values: ArgsOf<typeof SERVE>["values"], env: Record<string, string | undefined>, hooks: ServeHooks): Promise<number> {
  const resolved = await resolveKeys(await resolveConfig(values, env), env);
  const workers = values.workers ?? 1;
  // Each worker keeps its own buckets: with a share of each limit, the N of them together allow the configured one.
  const config = perWorkerConfig(resolved.config, workers);
  if (workers > 1 && cluster.isPrimary) {
    // Each worker would run its own job manager (one compute slot each, job state per process).
    if (config.jobsEnabled)
      throw new UsageError(
        "BAD_FLAG",
        `--workers ${workers} serves from ${workers} processes, and jobs need one manager: set VITRINE_JOBS=off (run jobs from one \`vitrine serve\` without --workers)`,
      );
    return runWorkers(workers, env);
  }
  const mod = await loadServiceModule();

  const logger = pino({ level: config.logLevel, base: { service: "vitrine-api" } });
  const service = await mod.createRetrievalService({
    dataDir: config.dataDir!,
    onReload: (info, ms) => logger.info({ release: info.id, ms }, "release loaded"),
    onReloadError: (err) => logger.error({ err }, "release reload failed; the previous release keeps serving"),
    // activate and rollback move the edge's pointer with these credentials (CLOUDFLARE_ACCOUNT_ID, ...).
    edgeEnv: env,
    // The N serve processes load a release together: each builds its IVF index on its share of the cores.
    ivfWorkers: Math.max(1, Math.floor(availableParallelism() / workers)),
  });
  let jobs: JobManager | null = null;
  const jobsModule = await import("./jobs/index.ts");
  if (config.jobsEnabled) {
    const { createJobManager, createContainerRunner, createLocalRunner } = jobsModule;
    jobs = await createJobManager({
      dataDir: config.dataDir!,
      runner: config.jobCommand ? createContainerRunner({ command: config.jobCommand }) : createLocalRunner({ nice: config.jobNice }),
      logger: logger.child({ component: "jobs" }),
    });
  }
  // A read replica (jobs off) still lists jobs and reads their status from the records the job manager writes.
  const jobsApi = jobs ?? jobsModule.createJobsReader({ dataDir: config.dataDir! });
  const images = mod.createImageStore({ dataDir: config.dataDir! });
  let server;
  try {
    server = await serveNode({ service, jobs: jobsApi, images, config, logger });
  } catch (e) {
    await images.close();
    await jobs?.close();
    await service.close();
    const err = e as { code?: string; message?: string };
    if (err.code === "EADDRINUSE") {
      console.error(`vitrine serve: port ${config.port} is in use; pick another with --port`);
      return 1;
    }
    throw e;
  }

  const health = await service.health().catch(() => ({ ok: false, release: null }));
  const key = hooks.displayKey ?? "$VITRINE_KEY";
  console.error(`vitrine serve: listening on ${server.url} (data ${config.dataDir}, release ${health.release ?? "none active"})`);
  console.error(`  keys: ${config.keys.map((k) => `${k.id} (${k.role})`).join(", ")} from ${resolved.source}`);
  console.error(`  try: curl -s ${server.url}/v1/retrieve -H 'authorization: Bearer ${key}' -H 'content-type: application/json' -d '{"query":"red dress","k":10}'`);
  console.error(`  playground: ${server.url}/playground   docs: ${server.url}/docs (OpenAPI: ${server.url}/v1/openapi.json)   health: ${server.url}/healthz`);

  if (hooks.onListening) {
    hooks.onListening({ url: server.url, jobs, dataDir: config.dataDir! }).catch((e: unknown) => {
      console.error(`vitrine serve: ${(e as Error).message}`);
    });
  }

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`vitrine serve: ${signal} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      console.error(`vitrine serve: ${signal}, finishing in-flight requests…`);
      void server
        .close()
        .then(() => jobs?.close())
        .then(() => images.close())
        .then(() => service.close())
        .then(
          () => resolve(0),
          (e: unknown) => {
            console.error(`vitrine serve: error while shutting down: ${(e as Error).message}`);
            resolve(1);
          },
        )
        .finally(() => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * The primary of `serve --workers N`: forks N workers that run this same command (node:cluster
 * shares the listening port between them) and stops them on SIGINT/SIGTERM. Each worker loads the
 * active release and follows the pointer on its own, as replicas on one data directory do
 * (test/replicas.test.ts); /metrics is per worker, and each worker applies 1/N of the rate limits (perWorkerConfig).
 */
function runWorkers(n: number, env: Record<string, string | undefined>): Promise<number> {
  console.error(`vitrine serve: starting ${n} workers (node:cluster, one port)`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    let failed = false;
    const live = new Set<Worker>();
    for (let i = 0; i < n; i++) live.add(cluster.fork(env));
    cluster.on("exit", (w, code, signal) => {
      live.delete(w);
      if (!stopping && code !== 0) {
        // A worker that dies takes its share of the port with it: stop the rest rather than serve degraded unseen.
        failed = true;
        console.error(`vitrine serve: worker ${w.process.pid} exited (${signal ?? code}); stopping the others`);
        stop();
      }
      if (live.size === 0) {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        resolve(failed ? 1 : 0);
      }
    });
    const stop = () => {
      stopping = true;
      for (const w of live) w.process.kill("SIGTERM");
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      console.error(`vitrine serve: ${signal}, stopping ${live.size} workers…`);
      stop();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** `vitrine keys list|create|revoke --data DIR`: the data directory's API keys (api/node/key-file.ts). */
export function keysCommand(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runVerb(
    KEYS,
    argv,
    async ({ subverb, args, values }) => {
      const dir = values.data;
      if (STORE_URI.test(dir)) throw new UsageError("BAD_FLAG", `--data ${dir}: keys are kept in a local data directory's key file; with a store URI give serve its keys in VITRINE_API_KEYS`);
      if (!existsSync(dir)) {
        const { StoreError } = await import("../lancedb/index.ts");
        throw new StoreError("STORE_MISSING", `--data ${dir}: no such directory; pass the data directory \`vitrine serve --data\` serves`);
      }
      switch (subverb) {
        case "list": {
          const file = await readKeyFile(dir);
          if (!file || file.keys.length === 0) {
            console.error(`no keys in ${keyFilePath(dir)}; create one with vitrine keys create <id> --data ${dir}`);
            return 0;
          }
          for (const k of file.keys) console.log(`${k.id}\t${k.role}\t${k.createdAt}${k.origins ? `\t${k.origins.join(" ")}` : ""}`);
          return 0;
        }
        case "create": {
          const { key, path } = await createKey(dir, args[0]!, values.role, values.origin ?? []);
          // The secret alone on stdout, for scripts; the rest on stderr.
          console.log(key.key);
          console.error(`created ${key.role} key "${key.id}" in ${path} (mode 0600); vitrine serve --data ${dir} reads it at start (restart a running server)`);
          return 0;
        }
        case "revoke": {
          const { key, path } = await revokeKey(dir, args[0]!);
          console.error(`revoked key "${key.id}" from ${path}; restart a running server to drop it`);
          return 0;
        }
      }
    },
    { env },
  );
}
