// Serve the app on Node: @hono/node-server, pino logs (one JSON line per request) and
// prom-client metrics. Thin by design: everything else is in the runtime-agnostic app.
import { realpathSync } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { pino, type Logger } from "pino";
import { clientAddressOf, createApp, ServerConfigSchema, type ImageStore, type MetricsRecorder, type PathAlias, type ServerConfig } from "../http/index.ts";
import { createPromMetrics } from "./prom-metrics.ts";
import { loadUiFiles } from "./ui-files.ts";
import { closeInsteadOfDraining } from "./refuse-unread.ts";
import type { RetrievalService } from "../service/index.ts";
import type { JobsService } from "../jobs/index.ts";

/** Options of serveNode. */
export interface ServeNodeOptions {
  /** The retrieval service to serve (the caller owns it: close() does not close it). */
  service: RetrievalService;
  /** The job manager behind jobs.* (the caller owns it); absent: jobs answer UNAVAILABLE. */
  jobs?: JobsService | null;
  /** Images behind GET /v1/images/:id (api/service's createImageStore on the data directory); absent: that route answers UNAVAILABLE. */
  images?: ImageStore | null;
  /** Serve the playground (/playground, "/" redirects there) and the docs UI (/docs) (default true). */
  ui?: boolean;
  /** Server configuration (keys, rate limit, ...); fields left out take their defaults. */
  config?: Partial<ServerConfig>;
  /** Port to listen on; overrides config.port (0 picks a free one). */
  port?: number;
  /** Interface to listen on; overrides config.host. */
  host?: string;
  /** Logger (default: pino to stdout at config.logLevel). */
  logger?: Logger;
  /** Metrics recorder (default: prom-client with default process metrics). */
  metrics?: MetricsRecorder;
  /** Version shown in the OpenAPI document. */
  version?: string;
  /** More server paths to keep out of responses (the data dir, home, temp and the app's folder always are). */
  redactPaths?: readonly PathAlias[];
}

/** A running server. */
export interface NodeServer {
  /** Base URL, e.g. http://127.0.0.1:8787. */
  url: string;
  /** The port bound. */
  port: number;
  /** Stop accepting connections and wait (up to 5 s) for in-flight requests. */
  close(): Promise<void>;
}

const APP_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A path and, where it differs, its real path (symlinks resolved), both shown as `as`. */
function aliasesOf(path: string, as: string): PathAlias[] {
  const abs = resolve(path);
  const out = [{ path: abs, as }];
  try {
    const real = realpathSync(abs);
    if (real !== abs) out.push({ path: real, as });
  } catch {
    // Not there (yet): the resolved path is all there is to hide.
  }
  return out;
}

/**
 * The server paths a client must never see, with what it sees instead: the data directory as
 * "<data>" (so "<data>/jobs/j…/log.txt" still says where to look), the app's folder and working
 * directory as "<app>", home as "~", the temp directory as "<tmp>".
 */
export function serverPathAliases(dataDir: string | undefined, extra: readonly PathAlias[] = []): PathAlias[] {
  return [
    ...extra,
    ...(dataDir ? aliasesOf(dataDir, "<data>") : []),
    ...aliasesOf(APP_ROOT, "<app>"),
    ...aliasesOf(process.cwd(), "<app>"),
    ...aliasesOf(tmpdir(), "<tmp>"),
    ...aliasesOf(homedir(), "~"),
  ];
}

/** The socket's peer address of a request served by @hono/node-server. */
function socketAddress(env: unknown): string | null {
  return (env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress ?? null;
}

/** Start the API on Node; resolves once it listens. */
export async function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const config = ServerConfigSchema.parse(options.config ?? {});
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: "vitrine-api" } });
  const app = createApp({
    service: options.service,
    jobs: options.jobs ?? null,
    images: options.images ?? null,
    ui: options.ui === false ? null : loadUiFiles(),
    publicBaseUrl: config.publicBaseUrl,
    corsOrigins: config.corsOrigins,
    keys: config.keys,
    rateLimit: config.rateLimit,
    unauthRateLimit: config.unauthRateLimit,
    // The socket's peer; X-Forwarded-For only as far as config.trustProxyHops says.
    clientAddress: (c) => clientAddressOf(socketAddress(c.env), c.req.header("x-forwarded-for"), config.trustProxyHops),
    redactPaths: serverPathAliases(config.dataDir, options.redactPaths),
    publicMetrics: config.publicMetrics,
    maxBodyBytes: config.maxBodyBytes,
    maxWindow: config.maxWindow,
    responseCacheBytes: config.responseCacheMB * 2 ** 20,
    logger,
    metrics: options.metrics ?? createPromMetrics(),
    ...(options.version !== undefined ? { version: options.version } : {}),
  });
  const host = options.host ?? config.host;
  const { server, info } = await new Promise<{ server: ReturnType<typeof serve>; info: AddressInfo }>((resolve, reject) => {
    const server = serve({ fetch: closeInsteadOfDraining(app.fetch), port: options.port ?? config.port, hostname: host }, (info) => resolve({ server, info }));
    server.once("error", reject);
  });
  const shownHost = info.family === "IPv6" ? `[${info.address}]` : info.address;
  const url = `http://${shownHost}:${info.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port: info.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const s = server as Server;
        // Keep-alive sockets would hold close() open; in-flight requests get 5 s to finish.
        const force = setTimeout(() => s.closeAllConnections?.(), 5_000);
        force.unref();
        s.close(() => {
          clearTimeout(force);
          resolve();
        });
        s.closeIdleConnections?.();
      });
      return closing;
    },
  };
}
