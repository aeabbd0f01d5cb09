// The object operations (store-objects.ts) on an az:// store: Azure Blob's REST API over fetch,
// signed with the account key (SharedKey). Put Blob honours If-None-Match: * (409 BlobAlreadyExists
// when the blob is there) and If-Match: "etag" (412 ConditionNotMet), the conditional write the
// leases need. Hand-written rather than @azure/storage-blob: the signing is one HMAC over a fixed
// list of headers (~30 lines), where the SDK brings a dozen @azure/core-* packages at runtime and
// its current releases need Node 22 (this project runs on Node 20).
import { createHmac } from "node:crypto";
import { StoreError } from "./errors.ts";
import { ObjectClient } from "./object-client.ts";
import { type Answer, ownWriteETag, sendRequest, storeTimeoutMs } from "./object-requests.ts";
import { xmlText } from "./object-responses.ts";
import type { PutCondition, StoreObjects } from "./store-objects.ts";
import { type AzureSettings, azureSettings, objectKey, parseStoreUri, type StoreUri } from "./store-location.ts";

/** The REST API version requests name (x-ms-version): one Azure and Azurite 3.33 both speak. */
const API_VERSION = "2023-11-03";

/** The headers SharedKey signs by position, before the x-ms-* ones (Content-Length is the body's, Date is x-ms-date's). */
const SIGNED = ["content-encoding", "content-language", "content-length", "content-md5", "content-type", "date", "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"];

/** Objects under an az:// URI's prefix (its container in the account of the environment). */
export class AzureObjects extends ObjectClient implements StoreObjects {
  private readonly settings: AzureSettings;
  private readonly key: Buffer;
  private readonly timeoutMs: number;

  constructor(loc: StoreUri, env: Record<string, string | undefined> = process.env) {
    const settings = azureSettings(env);
    super(loc, `${settings.endpoint}/${loc.bucket}`);
    this.settings = settings;
    this.key = Buffer.from(settings.accountKey, "base64");
    this.timeoutMs = storeTimeoutMs(env);
  }

  /** The Authorization header of a request (SharedKey: HMAC-SHA256 of the method, the signed headers, the x-ms-* ones and the resource). */
  private authorization(method: string, url: URL, headers: Record<string, string>): string {
    const msHeaders = Object.keys(headers)
      .filter((k) => k.startsWith("x-ms-"))
      .sort()
      .map((k) => `${k}:${headers[k]!.trim()}\n`)
      .join("");
    const params = [...new Set(url.searchParams.keys())]
      .sort()
      .map((k) => `\n${k.toLowerCase()}:${url.searchParams.getAll(k).sort().join(",")}`)
      .join("");
    const toSign = `${[method, ...SIGNED.map((h) => (h === "content-length" && headers[h] === "0" ? "" : (headers[h] ?? "")))].join("\n")}\n${msHeaders}/${this.settings.accountName}${url.pathname}${params}`;
    return `SharedKey ${this.settings.accountName}:${createHmac("sha256", this.key).update(toSign, "utf8").digest("base64")}`;
  }

  /** Send a request (bounded in time and retried by object-requests.ts), signed anew each try: x-ms-date must be within 15 minutes of the store's clock. */
  private call(method: string, url: string, what: string, extra: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> {
    const send = (signal: AbortSignal) => {
      const headers: Record<string, string> = { "x-ms-date": new Date().toUTCString(), "x-ms-version": API_VERSION, ...extra };
      // fetch sets Content-Length from the body itself; the signature covers the same number.
      headers.authorization = this.authorization(method, new URL(url), { ...headers, "content-length": String(body?.byteLength ?? 0) });
      return fetch(url, { method, headers, body, signal });
    };
    return sendRequest(send, { what, timeoutMs: this.timeoutMs, sendsBytes: body?.byteLength, hint: "check AZURE_STORAGE_ENDPOINT (or the account name) and the network" });
  }

  private failed(what: string, res: Response, body: string): StoreError {
    const code = res.headers.get("x-ms-error-code") ?? /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? res.statusText;
    const hint =
      res.status === 403
        ? "check AZURE_STORAGE_ACCOUNT_NAME / AZURE_STORAGE_ACCOUNT_KEY (and that this host's clock is right: a signature is valid 15 minutes)"
        : code === "ContainerNotFound"
          ? `create container ${this.loc.bucket} first (az storage container create -n ${this.loc.bucket})`
          : "retry later";
    return new StoreError("STORE_UNAVAILABLE", `${what}: HTTP ${res.status} ${code}; ${hint}`);
  }

  /** A GET of blob `name`: the response when it is there, null when the blob is not (a missing container is an error). */
  protected async read(name: string): Promise<Response | null> {
    const what = `GET ${this.loc.uri}/${name}`;
    const { res } = await this.call("GET", this.url(name), what);
    if (res.ok) return res;
    const body = await res.text();
    if (res.status === 404 && res.headers.get("x-ms-error-code") === "BlobNotFound") return null;
    throw this.failed(what, res, body);
  }

  async put(name: string, body: string | Uint8Array, cond: PutCondition = {}): Promise<string | null> {
    const headers: Record<string, string> = { "x-ms-blob-type": "BlockBlob", "content-type": typeof body === "string" ? "application/json" : "application/octet-stream" };
    if ("ifNoneMatch" in cond) headers["if-none-match"] = cond.ifNoneMatch;
    if ("ifMatch" in cond) headers["if-match"] = cond.ifMatch;
    const what = `PUT ${this.loc.uri}/${name}`;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const { res, retried } = await this.call("PUT", this.url(name), what, headers, bytes);
    const text = await res.text();
    // 409 BlobAlreadyExists: If-None-Match: * found the blob; 412 ConditionNotMet: If-Match found another version (or none).
    // Sent twice, the refusal may be of our own first write: it landed when the blob holds our bytes.
    const code = res.headers.get("x-ms-error-code");
    if (res.status === 412 || (res.status === 409 && code === "BlobAlreadyExists") || (res.status === 404 && "ifMatch" in cond && code === "BlobNotFound")) {
      return retried ? ownWriteETag(() => this.read(name), bytes) : null;
    }
    if (!res.ok) throw this.failed(what, res, text);
    return res.headers.get("etag") ?? "";
  }

  async list(dir: string, max = 10_000): Promise<string[]> {
    const key = `${objectKey(this.loc, dir).replace(/\/+$/, "")}/`;
    const what = `LIST ${this.loc.uri}/${dir}/`;
    const names = new Set<string>();
    let marker: string | undefined;
    do {
      const q = new URLSearchParams({ restype: "container", comp: "list", prefix: key, delimiter: "/", maxresults: "5000", ...(marker ? { marker } : {}) });
      const { res } = await this.call("GET", `${this.base}?${q}`, what);
      const text = await res.text();
      if (!res.ok) throw this.failed(what, res, text);
      // Blobs and BlobPrefixes (sub-folders, with a trailing "/") both carry a <Name>.
      for (const m of text.matchAll(/<Name>([^<]*)<\/Name>/g)) {
        const full = xmlText(m[1]!);
        if (full.length > key.length && full.startsWith(key)) names.add(full.slice(key.length).replace(/\/$/, ""));
      }
      marker = xmlText(/<NextMarker>([^<]*)<\/NextMarker>/.exec(text)?.[1] ?? "") || undefined;
    } while (marker && names.size < max);
    return [...names].sort().slice(0, max);
  }

  /** Create the container (true), or find it there already (false): setting up a store, and the tests' loopback Azurite. */
  async createContainer(): Promise<boolean> {
    const what = `CREATE CONTAINER ${this.loc.bucket}`;
    const { res } = await this.call("PUT", `${this.base}?restype=container`, what);
    const text = await res.text();
    if (res.status === 409 && res.headers.get("x-ms-error-code") === "ContainerAlreadyExists") return false;
    if (!res.ok) throw this.failed(what, res, text);
    return true;
  }

  async delete(name: string): Promise<void> {
    const what = `DELETE ${this.loc.uri}/${name}`;
    const { res } = await this.call("DELETE", this.url(name), what);
    const text = await res.text();
    if (!res.ok && !(res.status === 404 && res.headers.get("x-ms-error-code") === "BlobNotFound")) throw this.failed(what, res, text);
  }
}

/** Create the container an az:// data URI names, with the credentials of `env`: true when made now, false when it was there. */
export async function createStoreContainer(dataDir: string, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  const loc = parseStoreUri(dataDir);
  if (loc.scheme !== "az") throw new StoreError("BAD_OPTION", `${dataDir}: only an az:// store's container is made here (create an S3 bucket with its own tools)`);
  return new AzureObjects(loc, env).createContainer();
}
