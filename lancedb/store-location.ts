// Where a data directory lives: a local folder, or an object store URI (`s3://bucket/prefix`,
// `az://container/prefix`, `gs://bucket/prefix`). On a URI the store (every LanceDB table: imports, embeddings, releases,
// the active pointer), the small JSON records beside it (import.json, embed.json) and the leases live
// under the prefix; what a process needs on a disk of its own (the image cache, rejects.jsonl,
// training runs, the exported model, job records) goes to a local working folder, VITRINE_WORK_DIR.
// Stores whose writes Vitrine's leases can make conditional: S3 and S3-compatible ones (S3, MinIO,
// R2 honour If-None-Match / If-Match on PUT), Azure Blob (Put Blob honours both too) and Google
// Cloud Storage (the same two, as generation preconditions: x-goog-if-generation-match 0 or N).
import { createHash, createPrivateKey } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreError } from "./errors.ts";
import { type GcsMetadataSettings, gcsMetadataSettings } from "./gcs-metadata.ts";
import { storeTimeoutMs } from "./object-requests.ts";

/** An object store location parsed from `s3://bucket/prefix`, `az://container/prefix` or `gs://bucket/prefix`. */
export interface StoreUri {
  /** The URI as given, without a trailing slash. */
  uri: string;
  /** Which store speaks it: S3 (and S3-compatible ones), Azure Blob or Google Cloud Storage. */
  scheme: "s3" | "az" | "gs";
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
  "Vitrine takes a local folder, s3://BUCKET/PREFIX (AWS S3, MinIO, Cloudflare R2, Ceph RGW: stores with S3's conditional PUT, which the writer lease needs), az://CONTAINER/PREFIX (Azure Blob Storage) or gs://BUCKET/PREFIX (Google Cloud Storage)";

/** Why a scheme other than s3://, az:// and gs:// is refused, and the fix. */
function refusal(scheme: string, dataDir: string): string {
  switch (scheme) {
    case "gcs":
      // One spelling, the one LanceDB and gsutil take: gcs:// would reach LanceDB as an unknown scheme.
      return `--data ${dataDir}: write a Google Cloud Storage store as gs://BUCKET/PREFIX (--data ${dataDir.replace(/^gcs:\/\//i, "gs://")}; ${SUPPORTED})`;
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

/**
 * GCS's bucket-name rules: 3–63 lower-case letters, digits, hyphens, underscores and dots, starting
 * and ending with a letter or digit (up to 222 with dots, each dot-separated part at most 63), not
 * an IP address, not starting with "goog" and not containing "google".
 */
function gcsBucketName(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) return false;
  if (!name.includes(".") && name.length > 63) return false;
  if (name.split(".").some((part) => part.length > 63 || part === "")) return false;
  return !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith("goog") && !name.includes("google");
}

/** How each scheme names its bucket, the rule a bad name is told, and the bucket's check. */
const BUCKETS = {
  s3: { what: "a bucket name", rule: "3–63 lower-case letters, digits, dots, hyphens", word: "BUCKET", ok: (b: string) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) },
  // Azure's container names differ from S3's bucket names: no dots, and no two hyphens in a row.
  az: { what: "a container name", rule: "3–63 lower-case letters, digits, single hyphens", word: "CONTAINER", ok: (b: string) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(b) && !b.includes("--") },
  gs: {
    what: "a GCS bucket name",
    rule: 'lower-case letters, digits, hyphens, underscores, dots; 3–63, or up to 222 with dots; not starting with "goog" nor holding "google"',
    word: "BUCKET",
    ok: gcsBucketName,
  },
} as const;

/** Parse `s3://bucket/prefix`, `az://container/prefix` or `gs://bucket/prefix`; other schemes and malformed URIs fail with the fix. */
export function parseStoreUri(dataDir: string): StoreUri {
  const scheme = URI.exec(dataDir)?.[1]?.toLowerCase();
  if (scheme !== "s3" && scheme !== "az" && scheme !== "gs") throw new StoreError("BAD_OPTION", refusal(scheme ?? "", dataDir));
  const rest = dataDir.slice(`${scheme}://`.length).replace(/\/+$/, "");
  const [bucket, ...parts] = rest.split("/");
  const b = BUCKETS[scheme];
  if (!bucket || !b.ok(bucket)) {
    throw new StoreError("BAD_OPTION", `--data ${dataDir}: "${bucket ?? ""}" is not ${b.what} (${b.rule}); write ${scheme}://${b.word}/PREFIX`);
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

/** Connection settings of a Google Cloud Storage store, from the environment: a service account's key, or (none set) the metadata server. */
export type GcsSettings = GcsKeySettings | GcsMetadataSettings;

/** GCS settings when a service account's JSON key is given. */
export interface GcsKeySettings {
  /** How tokens are got: by signing JWTs with the key. */
  auth: "key";
  /** The key file's path (GOOGLE_SERVICE_ACCOUNT, GOOGLE_SERVICE_ACCOUNT_PATH or GOOGLE_APPLICATION_CREDENTIALS); undefined when the JSON came inline (GOOGLE_SERVICE_ACCOUNT_KEY). */
  keyPath?: string;
  /** The key's JSON text, as given (what LanceDB gets when it came inline). */
  keyJson: string;
  /** The variable that named the key, for messages. */
  source: string;
  /** The service account's email (client_email): the issuer of the JWTs it signs. */
  clientEmail: string;
  /** Its PEM private key (private_key), RSA: JWTs are signed RS256. */
  privateKey: string;
  /** The key's id (private_key_id): the JWT header's kid. */
  privateKeyId: string;
  /** Where a signed JWT is exchanged for an access token (token_uri; default https://oauth2.googleapis.com/token). */
  tokenUri: string;
  /** The storage API's base URL without a trailing slash: the key's gcs_base_url (an emulator's, as object_store reads it), else https://storage.googleapis.com. */
  baseUrl: string;
  /** The key's disable_oauth: send no token at all (an emulator without auth). */
  disableOAuth: boolean;
}

/** The variables that name a service account's key file, in the order they are read (those LanceDB's object_store reads too). */
const GCS_KEY_FILE_VARS = ["GOOGLE_SERVICE_ACCOUNT", "GOOGLE_SERVICE_ACCOUNT_PATH", "GOOGLE_APPLICATION_CREDENTIALS"] as const;

/** Where a service account key comes from, for the messages that ask for one. */
const GCS_KEY_HELP =
  "a gs:// data URI needs a service account key: GOOGLE_SERVICE_ACCOUNT (or GOOGLE_APPLICATION_CREDENTIALS) = the path of its JSON key file, or GOOGLE_SERVICE_ACCOUNT_KEY = the JSON itself (IAM → Service accounts → Keys → Add key → JSON; the account needs Storage Object Admin on the bucket)";

/**
 * Settings already read, by where the key came from (the inline JSON, or the file's path and
 * modification time): a client is made per store call (every image, lease beat and pointer poll),
 * and reading, parsing and checking the key each time would put file I/O on those paths. A key file
 * replaced in place (a rotated Kubernetes Secret) has a new mtime, so it is read again.
 */
const gcsSettingsCache = new Map<string, GcsSettings>();

/** The GCS settings from the environment: the service account key, read and checked (an ill-formed one fails naming the variable and the field), or with none set the metadata server's. */
export function gcsSettings(env: Record<string, string | undefined> = process.env): GcsSettings {
  const fileVar = GCS_KEY_FILE_VARS.find((k) => env[k]?.trim());
  const inline = env.GOOGLE_SERVICE_ACCOUNT_KEY?.trim();
  // LanceDB's client refuses a key given both ways (path and JSON); say so before it does.
  if (inline && fileVar && fileVar !== "GOOGLE_APPLICATION_CREDENTIALS") {
    throw new StoreError("BAD_OPTION", `both ${fileVar} and GOOGLE_SERVICE_ACCOUNT_KEY are set: give the service account key one way (unset one of them)`);
  }
  let keyJson: string;
  let keyPath: string | undefined;
  let source: string;
  let cacheKey: string;
  if (inline) {
    [keyJson, source, cacheKey] = [inline, "GOOGLE_SERVICE_ACCOUNT_KEY", `inline\n${inline}`];
    const cached = gcsSettingsCache.get(cacheKey);
    if (cached) return cached;
  } else if (fileVar) {
    keyPath = env[fileVar]!.trim();
    source = `${fileVar}=${keyPath}`;
    try {
      cacheKey = `${source}\n${statSync(keyPath).mtimeMs}`;
      const cached = gcsSettingsCache.get(cacheKey);
      if (cached) return cached;
      keyJson = readFileSync(keyPath, "utf8");
    } catch (e) {
      throw new StoreError("BAD_OPTION", `${source}: cannot read the service account key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${GCS_KEY_HELP}`);
    }
  } else {
    return gcsMetadataSettings(env);
  }
  const settings = parseGcsKey(keyJson, keyPath, source);
  if (gcsSettingsCache.size >= 16) gcsSettingsCache.clear(); // a handful of keys per process; never unbounded
  gcsSettingsCache.set(cacheKey, settings);
  return settings;
}

/** A service account key's JSON, checked: the fields Vitrine's client and LanceDB's need; a bad one fails naming `source` and the field. */
function parseGcsKey(keyJson: string, keyPath: string | undefined, source: string): GcsKeySettings {
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(keyJson) as Record<string, unknown>;
  } catch (e) {
    throw new StoreError("BAD_OPTION", `${source}: the service account key is not JSON (${(e as Error).message}); ${GCS_KEY_HELP}`);
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw new StoreError("BAD_OPTION", `${source}: the service account key is not a JSON object; ${GCS_KEY_HELP}`);
  if (key.type !== undefined && key.type !== "service_account") {
    throw new StoreError(
      "BAD_OPTION",
      `${source}: a key of type "${String(key.type)}"; Vitrine reads a service account's key (type "service_account"), not gcloud's user credentials; ${GCS_KEY_HELP}`,
    );
  }
  const disableOAuth = key.disable_oauth === true;
  // object_store needs the three fields present even with disable_oauth (an emulator's key has them empty).
  for (const field of ["client_email", "private_key", "private_key_id"]) {
    const v = key[field];
    if (typeof v !== "string" || (!disableOAuth && !v.trim())) throw new StoreError("BAD_OPTION", `${source}: the service account key has no ${field}; ${GCS_KEY_HELP}`);
  }
  if (!disableOAuth) {
    let rsa = false;
    try {
      rsa = createPrivateKey(key.private_key as string).asymmetricKeyType === "rsa";
    } catch {
      rsa = false;
    }
    if (!rsa) throw new StoreError("BAD_OPTION", `${source}: the service account key's private_key is not a PEM RSA private key (copy the key file whole, its \\n escapes included)`);
  }
  const url = (field: string, fallback: string): string => {
    const v = key[field] ?? fallback;
    if (typeof v !== "string" || !/^https?:\/\/[^/]+/.test(v)) throw new StoreError("BAD_OPTION", `${source}: the service account key's ${field} ${JSON.stringify(v)} is not an http(s) URL`);
    return v.replace(/\/+$/, "");
  };
  return {
    auth: "key",
    ...(keyPath ? { keyPath } : {}),
    keyJson,
    source,
    clientEmail: key.client_email as string,
    privateKey: key.private_key as string,
    privateKeyId: key.private_key_id as string,
    tokenUri: url("token_uri", "https://oauth2.googleapis.com/token"),
    baseUrl: url("gcs_base_url", "https://storage.googleapis.com"),
    disableOAuth,
  };
}

/**
 * LanceDB `storageOptions` for a GCS store: the same key (its path, or the JSON given inline) or none
 * (object_store then asks the metadata server, as Vitrine's client does), the base URL said outright,
 * plain HTTP only when it says http://. The base URL is given although the key names it: Lance adds
 * every environment variable whose lower-cased name is an object_store GCS key, aliases included,
 * and BASE_URL (which vite, and many web apps, set to "/") is one of them.
 */
function gcsStorageOptions(s: GcsSettings): Record<string, string> {
  return {
    // object_store reads the metadata server's hosts from the process's GCE_METADATA_* itself: no option for them.
    ...(s.auth === "metadata" ? {} : s.keyPath ? { google_service_account: s.keyPath } : { google_service_account_key: s.keyJson }),
    google_base_url: s.baseUrl,
    ...(s.baseUrl.startsWith("http://") ? { allow_http: "true" } : {}),
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
  const store = loc.scheme === "az" ? azureStorageOptions(azureSettings(env)) : loc.scheme === "gs" ? gcsStorageOptions(gcsSettings(env)) : s3StorageOptions(s3Settings(env));
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
