// The Cloudflare credentials of the edge's KV namespace, from flags or the environment: one check
// for `publish --edge`, `releases`, `edge`, the API's release switches and the job's publish stage.
import { createCloudflareKv, EdgePushError, type CloudflareKvOptions, type KvClient } from "./edge-kv-http.ts";

/** The Cloudflare credentials of the edge's KV namespace as flags (each falls back to its environment variable). */
export interface EdgeCredentialFlags {
  /** Cloudflare account id (else CLOUDFLARE_ACCOUNT_ID). */
  "edge-account"?: string;
  /** KV namespace id (else VITRINE_EDGE_KV_NAMESPACE). */
  "edge-namespace"?: string;
  /** API token (else CLOUDFLARE_API_TOKEN; prefer the variable: flags land in shell history). */
  "edge-token"?: string;
  /** API base URL (else VITRINE_EDGE_KV_ENDPOINT, else Cloudflare's). */
  "edge-endpoint"?: string;
}

const CREDENTIALS = [
  ["edge-account", "CLOUDFLARE_ACCOUNT_ID"],
  ["edge-namespace", "VITRINE_EDGE_KV_NAMESPACE"],
  ["edge-token", "CLOUDFLARE_API_TOKEN"],
] as const;

/** The environment variables that configure the edge's KV namespace, for messages. */
export const EDGE_CREDENTIAL_VARS = CREDENTIALS.map(([, name]) => name).join(", ");

/**
 * The KV client the credentials make (flags, else the environment). Without `need`, the namespace
 * decides whether an edge is configured at all (CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN are
 * wrangler's own variables, often set for other reasons): null without it. With `need` (what
 * requires them, e.g. "--edge"), or with the namespace, a missing one is an EdgePushError("BAD_OPTION")
 * naming its flag and variable.
 */
export function edgeKvFromFlags(v: EdgeCredentialFlags, env: Record<string, string | undefined>, need?: string, onRetry?: CloudflareKvOptions["onRetry"]): KvClient | null {
  const got = CREDENTIALS.map(([flag, name]) => v[flag] ?? env[name]);
  if (!need && !got[1]) return null;
  CREDENTIALS.forEach(([flag, name], i) => {
    if (got[i]) return;
    throw new EdgePushError("BAD_OPTION", need ? `${need} needs --${flag} or ${name}` : `the edge's KV namespace is set but its credentials are incomplete: give --${flag} or ${name}`);
  });
  const endpoint = v["edge-endpoint"] ?? env.VITRINE_EDGE_KV_ENDPOINT;
  let retries = 0;
  return createCloudflareKv({
    accountId: got[0]!,
    namespaceId: got[1]!,
    apiToken: got[2]!,
    ...(endpoint ? { endpoint } : {}),
    onRetry:
      onRetry ??
      (({ attempt, status, delayMs, keys }) => {
        // Retries are worth a line each: a stuck push should say why.
        if (++retries <= 20) console.error(`edge: retry ${attempt} of a ${keys}-key request after ${status ?? "network error"} in ${Math.round(delayMs)} ms`);
      }),
  });
}
