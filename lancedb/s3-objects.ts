// The object operations (store-objects.ts) on an s3:// store: read and write small records
// (import.json, embed.json, leases) with S3's conditional PUT (If-None-Match: * creates only,
// If-Match: "etag" replaces only that version). aws4fetch signs the requests (SigV4) for fetch: a
// 2-file dependency instead of the AWS SDK's dozens of packages for three calls. Its own retries
// are off (retries: 0): object-requests.ts bounds and retries every request, for both clients, and
// so knows when a conditional PUT was sent twice.
import { AwsClient } from "aws4fetch";
import { StoreError } from "./errors.ts";
import { ObjectClient } from "./object-client.ts";
import { type Answer, ownWriteETag, sendRequest, storeTimeoutMs } from "./object-requests.ts";
import type { PutCondition, StoreObjects } from "./store-objects.ts";
import { s3Settings, type StoreUri } from "./store-location.ts";

/** Objects under an s3:// URI's prefix. */
export class S3Objects extends ObjectClient implements StoreObjects {
  private readonly client: AwsClient;
  private readonly timeoutMs: number;

  constructor(loc: StoreUri, env: Record<string, string | undefined> = process.env) {
    const s = s3Settings(env);
    // Path-style on a custom endpoint (MinIO, R2, loopback); virtual-hosted on AWS.
    super(loc, s.endpoint ? `${s.endpoint}/${loc.bucket}` : `https://${loc.bucket}.s3.${s.region}.amazonaws.com`);
    this.client = new AwsClient({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken, region: s.region, service: "s3", retries: 0 });
    this.timeoutMs = storeTimeoutMs(env);
  }

  private call(method: string, url: string, what: string, init: RequestInit & { body?: Uint8Array } = {}): Promise<Answer> {
    const hint = "check AWS_ENDPOINT_URL and the network";
    return sendRequest((signal) => this.client.fetch(url, { method, ...init, signal }), { what, timeoutMs: this.timeoutMs, sendsBytes: init.body?.byteLength, hint });
  }

  private failed(what: string, res: Response, body: string): StoreError {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? res.statusText;
    const hint = res.status === 403 ? "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy" : res.status === 404 ? `check that bucket ${this.loc.bucket} exists` : "retry later";
    return new StoreError("STORE_UNAVAILABLE", `${what}: HTTP ${res.status} ${code}; ${hint}`);
  }

  /** A GET of `name`: the response when it is there, null when the key is not (a missing bucket is an error). */
  protected async read(name: string): Promise<Response | null> {
    const what = `GET ${this.loc.uri}/${name}`;
    const { res } = await this.call("GET", this.url(name), what);
    if (res.ok) return res;
    const text = await res.text();
    if (res.status === 404 && /NoSuchKey|<Code>NotFound/.test(text || "NoSuchKey")) return null;
    throw this.failed(what, res, text);
  }

  /** Write `name`; returns the new ETag, or null when the condition did not hold (another writer got there first). */
  async put(name: string, body: string | Uint8Array, cond: PutCondition = {}): Promise<string | null> {
    const headers: Record<string, string> = { "content-type": typeof body === "string" ? "application/json" : "application/octet-stream" };
    if ("ifNoneMatch" in cond) headers["if-none-match"] = cond.ifNoneMatch;
    if ("ifMatch" in cond) headers["if-match"] = cond.ifMatch;
    const what = `PUT ${this.loc.uri}/${name}`;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const { res, retried } = await this.call("PUT", this.url(name), what, { body: bytes, headers });
    const text = await res.text();
    // 412: the precondition failed; 409 ConditionalRequestConflict: S3 saw a racing conditional write.
    // Sent twice, the refusal may be of our own first write: it landed when the object holds our bytes.
    if (res.status === 412 || (res.status === 409 && /ConditionalRequestConflict/.test(text))) return retried ? ownWriteETag(() => this.read(name), bytes) : null;
    if (!res.ok) throw this.failed(what, res, text);
    return res.headers.get("etag") ?? "";
  }

  /**
   * The names directly under folder `dir` (S3's listing with a "/" delimiter): objects by name and
   * sub-folders by name, sorted. Bounded: at most `max` names (pages of 1,000 until then).
   */
  async list(dir: string, max = 10_000): Promise<string[]> {
    const what = `LIST ${this.loc.uri}/${dir}/`;
    return this.listV2(dir, max, async (q) => {
      const { res } = await this.call("GET", `${this.base}/?${q}`, what);
      const text = await res.text();
      if (!res.ok) throw this.failed(what, res, text);
      return text;
    });
  }

  /** Delete `name` (no error when it is absent). */
  async delete(name: string): Promise<void> {
    const what = `DELETE ${this.loc.uri}/${name}`;
    const { res } = await this.call("DELETE", this.url(name), what);
    const text = await res.text();
    if (!res.ok && res.status !== 404) throw this.failed(what, res, text);
  }
}
