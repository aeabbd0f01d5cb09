// Keyless gs:// auth: on a GCE VM, or a GKE pod with Workload Identity, operators give no key file;
// the instance metadata server hands out access tokens for the VM's (or the pod's bound) service
// account. Used when none of the key variables is set, as LanceDB's client (Rust object_store 0.13,
// src/gcp/credential.rs) does: it asks http://HOST/computeMetadata/v1/instance/service-accounts/
// default/token with `Metadata-Flavor: Google`, HOST from GCE_METADATA_HOST, else GCE_METADATA_ROOT,
// else metadata.google.internal, and when that fails the same path on GCE_METADATA_IP, else
// 169.254.169.254. Both clients read the same variables, so they reach the same server.
import { StoreError } from "./errors.ts";

/** GCS settings when no key is set: access tokens from the instance metadata server. */
export interface GcsMetadataSettings {
  /** How tokens are got: from the metadata server. */
  auth: "metadata";
  /** The metadata server asked first, host[:port]: GCE_METADATA_HOST, else GCE_METADATA_ROOT, else metadata.google.internal. */
  host: string;
  /** The one asked when `host` does not answer: GCE_METADATA_IP, else 169.254.169.254. */
  ip: string;
  /** The storage API's base URL without a trailing slash: GOOGLE_BASE_URL (object_store's variable), else https://storage.googleapis.com. */
  baseUrl: string;
  /** Where the tokens come from, for messages: "the metadata server at HOST". */
  source: string;
}

/**
 * Names LanceDB's client takes a key or token from (Lance adds every variable whose lower-cased name
 * is an object_store GCS key, aliases included, and GOOGLE_STORAGE_TOKEN) that Vitrine's does not:
 * set without one of the key variables, LanceDB would use it while Vitrine asks the metadata server.
 */
const LANCE_ONLY_CREDENTIALS = new Set(["service_account", "service_account_path", "service_account_key", "application_credentials", "storage_token"].flatMap((k) => [k, `google_${k}`]));

/** A metadata server's address as Google's libraries and object_store take it: host[:port], no scheme. */
const METADATA_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The metadata server's settings (called when no key variable is set); a host written as a URL, or a credential only LanceDB would read, fails naming the variable. */
export function gcsMetadataSettings(env: Record<string, string | undefined>): GcsMetadataSettings {
  const stray = Object.keys(env).find((k) => env[k]?.trim() && LANCE_ONLY_CREDENTIALS.has(k.toLowerCase()));
  if (stray) {
    throw new StoreError(
      "BAD_OPTION",
      `${stray} is set but no GOOGLE_SERVICE_ACCOUNT, GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT_KEY: LanceDB would use ${stray} while Vitrine's client asks the metadata server; give the key as GOOGLE_SERVICE_ACCOUNT (its path) or GOOGLE_SERVICE_ACCOUNT_KEY (its JSON), or unset ${stray}`,
    );
  }
  const pick = (names: string[], fallback: string): string => {
    const name = names.find((n) => env[n]?.trim());
    if (!name) return fallback;
    const value = env[name]!.trim();
    if (!METADATA_HOST.test(value)) throw new StoreError("BAD_OPTION", `${name}=${value}: expected the metadata server's host[:port], without http:// (as Google's libraries and LanceDB read it)`);
    return value;
  };
  const host = pick(["GCE_METADATA_HOST", "GCE_METADATA_ROOT"], "metadata.google.internal");
  const ip = pick(["GCE_METADATA_IP"], "169.254.169.254");
  const baseUrl = (env.GOOGLE_BASE_URL?.trim() || "https://storage.googleapis.com").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) throw new StoreError("BAD_OPTION", `GOOGLE_BASE_URL=${baseUrl}: expected http(s)://host[:port]`);
  return { auth: "metadata", host, ip, baseUrl, source: `the metadata server at ${host}` };
}

/** The default service account's access token, on the metadata server. */
const TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

/**
 * The bound of one request to a metadata server, headers and body: on GCE it is a local hop that
 * answers in milliseconds, and off it (a laptop) nothing answers, which must be said quickly.
 */
export const METADATA_TIMEOUT_MS = 2_000;

/** How to give a key instead. */
const KEY_HELP = "set GOOGLE_APPLICATION_CREDENTIALS (or GOOGLE_SERVICE_ACCOUNT) = the path of a service account's JSON key file, or GOOGLE_SERVICE_ACCOUNT_KEY = the JSON itself";

/** What to do without a metadata server, for the message that says none answered. */
const KEYLESS_HELP = `${KEY_HELP}; or run on GCE/GKE with a service account (the VM's, or one bound to the pod by Workload Identity), or name the metadata server with GCE_METADATA_HOST=HOST[:PORT]`;

/** Metadata servers (host and fallback) that answered this process (a token, or a 5xx): one is there, so its failing is an outage, not a missing setup. */
const answered = new Set<string>();

/** Why a request got no answer: the bound, or the network's error code. */
function silence(e: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `no answer within ${timeoutMs} ms`;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

/**
 * An access token from the metadata server: `s.host` first, then `s.ip` when the host does not
 * answer (or answers 5xx / 429), each request bounded by METADATA_TIMEOUT_MS (or the store's
 * shorter VITRINE_STORE_TIMEOUT_MS, `storeTimeoutMs`). No server answering fails with BAD_OPTION
 * naming the variables (off GCE/GKE a key is needed), unless one answered this process before
 * (then STORE_UNAVAILABLE: an outage); a server refusing (4xx: no service account on the VM, no
 * Workload Identity binding) fails with BAD_OPTION naming the fix.
 */
export async function metadataToken(s: GcsMetadataSettings, storeTimeoutMs: number): Promise<{ token: string; expiresAt: number }> {
  const timeoutMs = Math.min(METADATA_TIMEOUT_MS, storeTimeoutMs);
  const servers = `${s.host}\n${s.ip}`;
  const failures: string[] = [];
  for (const host of s.ip === s.host ? [s.host] : [s.host, s.ip]) {
    const url = `http://${host}${TOKEN_PATH}`;
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers: { "metadata-flavor": "Google" }, redirect: "manual", signal });
      text = await res.text();
    } catch (e) {
      failures.push(`${host}: ${silence(e, signal, timeoutMs)}`);
      continue;
    }
    // Google's metadata servers (GCE's, GKE's) mark every answer; anything else on that name is not one.
    if (res.headers.get("metadata-flavor") !== "Google") {
      failures.push(`${host}: HTTP ${res.status} without Metadata-Flavor: Google (not a metadata server)`);
      continue;
    }
    if (res.status >= 500 || res.status === 429) {
      failures.push(`${host}: HTTP ${res.status} ${text.slice(0, 200)}`);
      answered.add(servers);
      continue;
    }
    if (!res.ok) {
      throw new StoreError(
        "BAD_OPTION",
        `GET ${url}: HTTP ${res.status} ${text.slice(0, 200)}; no service account key is set, and the metadata server has no token for this machine: give the VM a service account (with the storage scope), or on GKE bind the pod's Kubernetes service account to one (Workload Identity); or ${KEY_HELP}`,
      );
    }
    let answer: { access_token?: unknown; expires_in?: unknown } = {};
    try {
      answer = JSON.parse(text);
    } catch {
      // Reported below: no token in the answer.
    }
    if (typeof answer.access_token !== "string" || !answer.access_token) {
      throw new StoreError("STORE_UNAVAILABLE", `GET ${url}: HTTP ${res.status}, but no access_token in its answer (${text.slice(0, 200)}); retry later`);
    }
    answered.add(servers);
    const ttl = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : 3600;
    return { token: answer.access_token, expiresAt: Date.now() + ttl * 1000 };
  }
  const why = failures.join("; ");
  if (answered.has(servers)) {
    throw new StoreError(
      "STORE_UNAVAILABLE",
      `${s.source} is there (it answered this process) but gave no token now (${why}); check the node's metadata server (GKE: the gke-metadata-server pods) and retry`,
    );
  }
  throw new StoreError("BAD_OPTION", `no service account key is set and the metadata server at ${s.host} did not answer (${why}): ${KEYLESS_HELP}`);
}
