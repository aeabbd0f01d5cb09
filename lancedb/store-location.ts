// Where a data directory lives: a local folder, or an object store URI (`s3://bucket/prefix`,
// `az://container/prefix`). On a URI the store (every LanceDB table: imports, embeddings, releases,
// the active pointer), the small JSON records beside it (import.json, embed.json) and the leases live
// under the prefix; what a process needs on a disk of its own (the image cache, rejects.jsonl,
// training runs, the exported model, job records) goes to a local working folder, VITRINE_WORK_DIR.
// Stores whose writes Vitrine's leases can make conditional: S3 and S3-compatible ones (S3, MinIO,
// R2 honour If-None-Match / If-Match on PUT) and Azure Blob (Put Blob honours both too). gs:// speaks
// its own generation preconditions and is refused, naming what is supported and the fix.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreError } from "./errors.ts";
import { storeTimeoutMs } from "./object-requests.ts";

/** An object store location parsed from `s3://bucket/prefix` or `az://container/prefix`. */
export interface StoreUri {
  /** The URI as given, without a trailing slash. */
  uri: string;
  /** Which store speaks it: S3 (and S3-compatible ones) or Azure Blob. */
  scheme: "s3" | "az";
  /** Bucket name (an Azure container's name on az://). */
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ("" for the bucket's root). */
  prefix: string;
}

/** Connection settings of an S3-compatible store, from the environment. */
export interface S3Settings {
  /** Endpoint URL (MinIO, R2, a loopback server); undefined for AWS itself. */
  endpoint?: string;
  /** Region (AWS_REGION, AWS_DEFAULT_REGION; default us-east-1). */
  region: string;
  /** Access key id (AWS_ACCESS_KEY_ID). */
  accessKeyId: string;
  /** Secret access key (AWS_SECRET_ACCESS_KEY). */
  secretAccessKey: string;
  /** Session token for temporary credentials (AWS_SESSION_TOKEN). */
  sessionToken?: string;
}

const URI = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Connection settings of an Azure Blob Storage account, from the environment. */
export interface AzureSettings {
  /** Storage account name (AZURE_STORAGE_ACCOUNT_NAME, or AccountName in the connection string). */
  accountName: string;
  /** Base64 account key for SharedKey signing (AZURE_STORAGE_ACCOUNT_KEY, or AccountKey). */
  accountKey: string;
  /** Blob service URL without a trailing slash: https://ACCOUNT.blob.core.windows.net, or an emulator's http://127.0.0.1:10000/ACCOUNT (AZURE_STORAGE_ENDPOINT, or BlobEndpoint). */
  endpoint: string;
}

/** True when `dataDir` is an object store URI rather than a local folder. */
export function isStoreUri(dataDir: string): boolean {
  return URI.test(dataDir);
}

/** What is supported, for every refusal of a scheme. */
const SUPPORTED =
  "Vitrine takes a local folder, s3://BUCKET/PREFIX (AWS S3, MinIO, Cloudflare R2, Ceph RGW: stores with S3's conditional PUT, which the writer lease needs) or az://CONTAINER/PREFIX (Azure Blob Storage)";

/** Why a scheme other than s3:// and az:// is refused, and the fix (docs/deployment.md, "Other object stores"). */
function refusal(scheme: string, dataDir: string): string {
  switch (scheme) {
    case "gs":
    case "gcs":
      return `--data ${dataDir}: Google Cloud Storage is not supported directly: ${SUPPORTED}, and gs:// expresses conditional writes with its own generation preconditions, which Vitrine's leases do not speak. Use a local folder on a volume every replica mounts (Filestore), or try GCS's S3-compatible XML API (s3://BUCKET/PREFIX with AWS_ENDPOINT_URL=https://storage.googleapis.com and HMAC keys) after checking that it refuses a second If-None-Match: * PUT of one key (untested here; see docs/deployment.md)`;
    case "azure":
    case "abfs":
    case "abfss":
      // The account sits in abfss://'s host, where Vitrine takes it from the environment: one place for it.
      return `--data ${dataDir}: write an Azure Blob store as az://CONTAINER/PREFIX, with the account in AZURE_STORAGE_ACCOUNT_NAME (${SUPPORTED}; see docs/deployment.md)`;
    case "file":
      return `--data ${dataDir}: write the folder as a path, without file:// (--data ${dataDir.replace(/^file:\/\//i, "") || "/srv/vitrine"})`;
    default:
      return `--data ${dataDir}: ${scheme}:// is not a store Vitrine knows: ${SUPPORTED}`;
  }
}

/** Parse `s3://bucket/prefix` or `az://container/prefix`; other schemes and malformed URIs fail with the fix. */
export function parseStoreUri(dataDir: string): StoreUri {
  const scheme = URI.exec(dataDir)?.[1]?.toLowerCase();
  if (scheme !== "s3" && scheme !== "az") throw new StoreError("BAD_OPTION", refusal(scheme ?? "", dataDir));
  const rest = dataDir.slice(`${scheme}://`.length).replace(/\/+$/, "");
  const [bucket, ...parts] = rest.split("/");
  // Azure's container names differ from S3's bucket names: no dots, and no two hyphens in a row.
  const named = scheme === "s3" ? /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket ?? "") : /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket ?? "") && !bucket?.includes("--");
  if (!bucket || !named) {
    const [what, rule] = scheme === "s3" ? ["a bucket name", "lower-case letters, digits, dots, hyphens"] : ["a container name", "lower-case letters, digits, single hyphens"];
    throw new StoreError("BAD_OPTION", `--data ${dataDir}: "${bucket ?? ""}" is not ${what} (3–63 ${rule}); write ${scheme}://${scheme === "s3" ? "BUCKET" : "CONTAINER"}/PREFIX`);
  }
  const prefix = parts.filter(Boolean).join("/");
  return { uri: `${scheme}://${bucket}${prefix ? `/${prefix}` : ""}`, scheme, bucket, prefix };
}

/** The object key of `name` under a store URI's prefix. */
export function objectKey(loc: StoreUri, name: string): string {
  return loc.prefix ? `${loc.prefix}/${name}` : name;
}

/** The S3 settings from the environment; missing credentials fail naming the variables. */
export function s3Settings(env: Record<string, string | undefined> = process.env): S3Settings {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) {
    throw new StoreError("BAD_OPTION", "an s3:// data URI needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for MinIO, R2 or another S3-compatible store)");
  }
  const endpoint = (env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? env.AWS_ENDPOINT)?.trim().replace(/\/+$/, "") || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new StoreError("BAD_OPTION", `AWS_ENDPOINT_URL=${endpoint}: expected http(s)://host[:port]`);
  const sessionToken = env.AWS_SESSION_TOKEN?.trim() || undefined;
  return { endpoint, region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1", accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** LanceDB `storageOptions` for an S3 store (DESIGN §10): path-style requests on a custom endpoint, plain HTTP only when it says http://. */
function s3StorageOptions(s: S3Settings): Record<string, string> {
  return {
    aws_access_key_id: s.accessKeyId,
    aws_secret_access_key: s.secretAccessKey,
    aws_region: s.region,
    ...(s.sessionToken ? { aws_session_token: s.sessionToken } : {}),
    ...(s.endpoint ? { aws_endpoint: s.endpoint, aws_virtual_hosted_style_request: "false", ...(s.endpoint.startsWith("http://") ? { aws_allow_http: "true" } : {}) } : {}),
  };
}

/** The Azure settings from the environment: an account name and key, or a connection string; missing ones fail naming the variables. */
export function azureSettings(env: Record<string, string | undefined> = process.env): AzureSettings {
  // A connection string (what the portal and Azurite hand out): Key=Value pairs separated by ";".
  const conn = Object.fromEntries(
    (env.AZURE_STORAGE_CONNECTION_STRING ?? "")
      .split(";")
      .map((p) => [p.slice(0, p.indexOf("=")).trim().toLowerCase(), p.slice(p.indexOf("=") + 1).trim()])
      .filter(([k]) => k),
  ) as Record<string, string | undefined>;
  const accountName = env.AZURE_STORAGE_ACCOUNT_NAME?.trim() || conn.accountname;
  const accountKey = env.AZURE_STORAGE_ACCOUNT_KEY?.trim() || conn.accountkey;
  if (!accountName || !accountKey) {
    throw new StoreError(
      "BAD_OPTION",
      "an az:// data URI needs AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY, or AZURE_STORAGE_CONNECTION_STRING with AccountName and AccountKey (and AZURE_STORAGE_ENDPOINT for an emulator such as Azurite)",
    );
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) throw new StoreError("BAD_OPTION", "AZURE_STORAGE_ACCOUNT_KEY: expected the account's base64 key (Access keys in the portal)");
  const suffix = conn.endpointsuffix || "core.windows.net";
  const endpoint = (env.AZURE_STORAGE_ENDPOINT?.trim() || conn.blobendpoint || `${conn.defaultendpointsprotocol || "https"}://${accountName}.blob.${suffix}`).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(endpoint)) throw new StoreError("BAD_OPTION", `AZURE_STORAGE_ENDPOINT=${endpoint}: expected http(s)://host[:port][/ACCOUNT]`);
  return { accountName, accountKey, endpoint };
}

/** LanceDB `storageOptions` for an Azure Blob store: the account, its key, the endpoint (an emulator's path-style one too), plain HTTP only when it says http://. */
function azureStorageOptions(s: AzureSettings): Record<string, string> {
  return {
    azure_storage_account_name: s.accountName,
    azure_storage_account_key: s.accountKey,
    azure_storage_endpoint: s.endpoint,
    ...(s.endpoint.startsWith("http://") ? { allow_http: "true" } : {}),
  };
}

/** Retries of a request that failed quickly (network error, 5xx, 429) in LanceDB's object client, as in Vitrine's own (object-requests.ts). */
const LANCE_RETRIES = 3;

/** object_store's own bound on the connect phase, kept unless the timeout is shorter. */
const LANCE_CONNECT_MS = 5_000;

/**
 * The `storageOptions` that bound LanceDB's own object requests by VITRINE_STORE_TIMEOUT_MS, as
 * Vitrine's own are (keys of Lance's object_store client, checked on @lancedb/lancedb 0.31 = Lance
 * 8.0, object_store 0.13; docs/deployment.md "Timeouts" has the worst case):
 * - `timeout`: one HTTP request, from connecting until its answer's body has been read (reqwest's
 *   whole-request bound). Lance uploads in 5 MiB parts and reads at most 16 MiB per request, so each
 *   part or range must move within it;
 * - `connect_timeout`: the connect phase, object_store's 5 s unless the timeout is shorter;
 * - `client_max_retries` + `client_retry_timeout` (whole seconds): quick failures (network errors,
 *   5xx, 429, a body that broke off) are retried at most 3 times, and only within the first
 *   floor(timeout) seconds, so an attempt that timed out is past that window and is not sent again
 *   (a hanging store is not asked again, as with Vitrine's own requests; under 1 s, no retries);
 * - `lance_aimd_max_retries` 0: Lance's throttle layer would send a request that failed after its
 *   retries again up to 3 times, each with its own retries (4 × the worst case); object_store's
 *   backoff on 503 / 429 stays;
 * - `download_retry_count` 0: Lance's outer loop over a body that failed (object_store already
 *   resumes one that broke off, inside the window above).
 * What stays: Lance retries a listing 5 times and a read's request 3 times, without asking.
 */
export function lanceTimeoutOptions(timeoutMs: number): Record<string, string> {
  return {
    timeout: `${timeoutMs}ms`,
    connect_timeout: `${Math.min(timeoutMs, LANCE_CONNECT_MS)}ms`,
    client_max_retries: String(LANCE_RETRIES),
    client_retry_timeout: String(Math.floor(timeoutMs / 1000)),
    lance_aimd_max_retries: "0",
    download_retry_count: "0",
  };
}

/** LanceDB `storageOptions` for a store URI's store (DESIGN §10), from the environment: credentials, endpoint, and every request bounded by VITRINE_STORE_TIMEOUT_MS. */
export function lanceStorageOptions(loc: StoreUri, env: Record<string, string | undefined> = process.env): Record<string, string> {
  const store = loc.scheme === "az" ? azureStorageOptions(azureSettings(env)) : s3StorageOptions(s3Settings(env));
  return { ...store, ...lanceTimeoutOptions(storeTimeoutMs(env)) };
}

/**
 * The local folder for what must sit on this machine's disk: the data directory itself, or for a
 * store URI VITRINE_WORK_DIR (default ~/.cache/vitrine/work/<hash of the URI>, one per store).
 */
export function localDir(dataDir: string, env: Record<string, string | undefined> = process.env): string {
  if (!isStoreUri(dataDir)) return dataDir;
  const { uri } = parseStoreUri(dataDir);
  const set = env.VITRINE_WORK_DIR?.trim();
  if (set) return set;
  return join(homedir(), ".cache", "vitrine", "work", createHash("sha256").update(uri).digest("hex").slice(0, 16));
}

/** The file in a store's local working folder that names the store (a job process finds its store from its job folder). */
const STORE_NAME_FILE = "store-uri.txt";

/** Name the store in its local working folder (nothing to do for a local data directory, which is that folder). */
export async function recordStoreUri(dataDir: string): Promise<void> {
  if (!isStoreUri(dataDir)) return;
  const dir = localDir(dataDir);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, STORE_NAME_FILE), `${parseStoreUri(dataDir).uri}\n`);
}

/** The data directory a local folder works for: the store URI it names, else the folder itself. */
export async function dataDirOf(folder: string): Promise<string> {
  const named = join(folder, STORE_NAME_FILE);
  return existsSync(named) ? (await readFile(named, "utf8")).trim() : folder;
}
