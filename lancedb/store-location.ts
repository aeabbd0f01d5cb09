// Where a data directory lives: a local folder, or an object store URI (`s3://bucket/prefix`).
// On a URI the store (every LanceDB table: imports, embeddings, releases, the active pointer), the
// small JSON records beside it (import.json, embed.json) and the leases live under the prefix;
// what a process needs on a disk of its own (the image cache, rejects.jsonl, training runs, the
// exported model, job records) goes to a local working folder, VITRINE_WORK_DIR.
// S3-compatible stores only: the leases need conditional PUT (If-None-Match / If-Match), which S3,
// MinIO and R2 honour; gs:// and az:// speak other protocols for that and are refused, each naming
// what is supported and the fix for that store.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { StoreError } from "./errors.ts";

/** An object store location parsed from `s3://bucket/prefix`. */
export interface StoreUri {
  /** The URI as given, without a trailing slash. */
  uri: string;
  /** Bucket name. */
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

/** True when `dataDir` is an object store URI rather than a local folder. */
export function isStoreUri(dataDir: string): boolean {
  return URI.test(dataDir);
}

/** What is supported, for every refusal of a scheme. */
const SUPPORTED = "Vitrine takes a local folder or s3://BUCKET/PREFIX (AWS S3, MinIO, Cloudflare R2, Ceph RGW: stores with S3's conditional PUT, which the writer lease needs)";

/** Why a scheme other than s3:// is refused, and the fix (docs/deployment.md, "Other object stores"). */
function refusal(scheme: string, dataDir: string): string {
  switch (scheme) {
    case "gs":
    case "gcs":
      return `--data ${dataDir}: Google Cloud Storage is not supported directly: ${SUPPORTED}, and gs:// expresses conditional writes with its own generation preconditions, which Vitrine's leases do not speak. Use a local folder on a volume every replica mounts (Filestore), or try GCS's S3-compatible XML API (s3://BUCKET/PREFIX with AWS_ENDPOINT_URL=https://storage.googleapis.com and HMAC keys) after checking that it refuses a second If-None-Match: * PUT of one key (untested here; see docs/deployment.md)`;
    case "az":
    case "azure":
    case "abfs":
    case "abfss":
      return `--data ${dataDir}: Azure Blob Storage is not supported: ${SUPPORTED}, and Azure has no S3 API. Use a local folder on a volume every replica mounts (Azure Files as a ReadWriteMany volume), or an S3-compatible store beside it (MinIO) as s3://BUCKET/PREFIX with AWS_ENDPOINT_URL (see docs/deployment.md)`;
    case "file":
      return `--data ${dataDir}: write the folder as a path, without file:// (--data ${dataDir.replace(/^file:\/\//i, "") || "/srv/vitrine"})`;
    default:
      return `--data ${dataDir}: ${scheme}:// is not a store Vitrine knows: ${SUPPORTED}`;
  }
}

/** Parse `s3://bucket/prefix`; other schemes and malformed URIs fail with the fix. */
export function parseStoreUri(dataDir: string): StoreUri {
  const scheme = URI.exec(dataDir)?.[1]?.toLowerCase();
  if (scheme !== "s3") throw new StoreError("BAD_OPTION", refusal(scheme ?? "", dataDir));
  const rest = dataDir.slice("s3://".length).replace(/\/+$/, "");
  const [bucket, ...parts] = rest.split("/");
  if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StoreError("BAD_OPTION", `--data ${dataDir}: "${bucket ?? ""}" is not a bucket name (3–63 lower-case letters, digits, dots, hyphens); write s3://BUCKET/PREFIX`);
  }
  const prefix = parts.filter(Boolean).join("/");
  return { uri: `s3://${bucket}${prefix ? `/${prefix}` : ""}`, bucket, prefix };
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
export function lanceStorageOptions(s: S3Settings): Record<string, string> {
  return {
    aws_access_key_id: s.accessKeyId,
    aws_secret_access_key: s.secretAccessKey,
    aws_region: s.region,
    ...(s.sessionToken ? { aws_session_token: s.sessionToken } : {}),
    ...(s.endpoint ? { aws_endpoint: s.endpoint, aws_virtual_hosted_style_request: "false", ...(s.endpoint.startsWith("http://") ? { aws_allow_http: "true" } : {}) } : {}),
  };
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
