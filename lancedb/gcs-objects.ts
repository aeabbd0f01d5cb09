// The object operations (store-objects.ts) on a gs:// store: Google Cloud Storage's XML API over
// fetch. The XML API rather than the JSON API because it is the one LanceDB's client (Rust
// object_store) speaks, so one loopback server tests both, and its calls are those of the S3 client
// beside this one (a PUT of the bytes, a ListObjectsV2-style listing). Conditional writes are
// generation preconditions: x-goog-if-generation-match: 0 creates only (412 when the object is
// there), x-goog-if-generation-match: N replaces only generation N (412 otherwise). So the `etag` a
// StoredObject carries here, and the one put returns, is the object's generation (x-goog-generation,
// a decimal number), which is what `{ ifMatch }` takes back.
// Auth: a service account's key signs a JWT (RS256, node:crypto) that the key's token_uri exchanges
// for a bearer token, cached per key until a minute before it expires; the key's gcs_base_url and
// disable_oauth point it at an emulator, as object_store reads them. With no key set, the token comes
// from the GCE/GKE metadata server (gcs-metadata.ts), cached per server the same way.
import { createHash, createSign } from "node:crypto";
import { StoreError } from "./errors.ts";
import { metadataToken } from "./gcs-metadata.ts";
import { ObjectClient } from "./object-client.ts";
import { type Answer, ownWriteETag, sendRequest, storeTimeoutMs } from "./object-requests.ts";
import type { PutCondition, StoreObjects } from "./store-objects.ts";
import { type GcsKeySettings, type GcsSettings, gcsSettings, type StoreUri } from "./store-location.ts";

/** The OAuth scope asked for: read and write objects. */
const SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";

/** A token is used until this long before it expires (a request signed with it must still reach the store in time). */
const REFRESH_MARGIN_MS = 60_000;

/** Access tokens by key (token URI, account, key id, key hash) or metadata server: GcsObjects are made per call, tokens outlive them. */
const tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();

/** The base64url of bytes or text (JWT segments). */
const b64url = (v: string | Buffer): string => Buffer.from(v).toString("base64url");

/** Sign a JWT with the service account's key and exchange it for an access token (RFC 7523, what Google's OAuth server takes). */
async function exchange(s: GcsKeySettings, timeoutMs: number): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: s.privateKeyId }));
  const claims = b64url(JSON.stringify({ iss: s.clientEmail, scope: SCOPE, aud: s.tokenUri, iat: now, exp: now + 3600 }));
  const signature = createSign("RSA-SHA256").update(`${head}.${claims}`).sign(s.privateKey);
  const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: `${head}.${claims}.${b64url(signature)}` });
  const what = `POST ${s.tokenUri} (an access token for ${s.clientEmail})`;
  const body = Buffer.from(form.toString());
  const { res } = await sendRequest((signal) => fetch(s.tokenUri, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, signal }), {
    what,
    timeoutMs,
    sendsBytes: body.byteLength,
    hint: `check the key's token_uri and the network (${s.source})`,
  });
  const text = await res.text();
  let answer: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    answer = JSON.parse(text);
  } catch {
    // Reported below: no token in the answer.
  }
  if (!res.ok || typeof answer.access_token !== "string") {
    const why = answer.error ? `${String(answer.error)}${answer.error_description ? `: ${String(answer.error_description)}` : ""}` : text.slice(0, 200);
    throw new StoreError(
      "STORE_UNAVAILABLE",
      `${what}: HTTP ${res.status} ${why}; check the service account key (${s.source}): is it still valid (not deleted or disabled), and this host's clock right?`,
    );
  }
  const ttl = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : 3600;
  return { token: answer.access_token, expiresAt: Date.now() + ttl * 1000 };
}

/** The cache key of the tokens a setting gives: the key (token URI, account, key id, key hash), or the metadata servers. */
function tokenKey(s: GcsSettings): string {
  if (s.auth === "metadata") return ["metadata", s.host, s.ip].join("\n");
  return [s.tokenUri, s.clientEmail, s.privateKeyId, createHash("sha256").update(s.privateKey).digest("hex")].join("\n");
}

/** A bearer token for `s`: the cached one, or one got now (a signed JWT exchanged at the key's token_uri, or the metadata server's); null when the key says disable_oauth. */
async function accessToken(s: GcsSettings, timeoutMs: number, key = tokenKey(s)): Promise<string | null> {
  if (s.auth === "key" && s.disableOAuth) return null;
  const cached = tokens.get(key);
  if (cached) {
    const got = await cached.catch(() => null);
    if (got && got.expiresAt - REFRESH_MARGIN_MS > Date.now()) return got.token;
    if (tokens.get(key) === cached) tokens.delete(key);
  }
  // One exchange at a time per key: concurrent calls share it.
  let mine = tokens.get(key);
  if (!mine) {
    mine = s.auth === "metadata" ? metadataToken(s, timeoutMs) : exchange(s, timeoutMs);
    tokens.set(key, mine);
    mine.catch(() => {
      if (tokens.get(key) === mine) tokens.delete(key);
    });
  }
  return (await mine).token;
}

/**
 * Get (or reuse) the access token the environment's gs:// settings give, so that credentials that
 * do not work fail before LanceDB is asked: without a key and a metadata server, LanceDB's client
 * retries the metadata server for ~20 s and then names neither the key variables nor the host.
 */
export async function checkGcsCredentials(env: Record<string, string | undefined> = process.env): Promise<void> {
  await accessToken(gcsSettings(env), storeTimeoutMs(env));
}

/** Objects under a gs:// URI's prefix. */
export class GcsObjects extends ObjectClient implements StoreObjects {
  private readonly settings: GcsSettings;
  private readonly timeoutMs: number;
  private readonly tokenKey: string;

  constructor(loc: StoreUri, env: Record<string, string | undefined> = process.env) {
    const settings = gcsSettings(env);
    super(loc, `${settings.baseUrl}/${loc.bucket}`);
    this.settings = settings;
    this.timeoutMs = storeTimeoutMs(env);
    this.tokenKey = tokenKey(settings);
  }

  /** A bearer token (null when the key says disable_oauth): the process's cached one, or one got now. */
  private token(): Promise<string | null> {
    return accessToken(this.settings, this.timeoutMs, this.tokenKey);
  }

  /**
   * Send a request (bounded in time and retried by object-requests.ts) with the bearer token. A 401
   * (the token was revoked, or expired early by the store's clock) drops the cached token and sends
   * the request once more with a new one: a refused request took no effect, so that is no retry.
   */
  private async call(method: string, url: string, what: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token();
      const send = (signal: AbortSignal) => fetch(url, { method, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body, signal });
      const answer = await sendRequest(send, { what, timeoutMs: this.timeoutMs, sendsBytes: body?.byteLength, hint: this.networkHint() });
      if (answer.res.status !== 401 || !token || attempt > 0) return answer;
      await answer.res.body?.cancel();
      tokens.delete(this.tokenKey);
    }
  }

  /** The fix a request that got no answer names: where the storage API's base URL came from, and the network. */
  private networkHint(): string {
    const s = this.settings;
    return s.auth === "key" ? `check the key's gcs_base_url (${s.source}) and the network` : `check the network to ${s.baseUrl} (GOOGLE_BASE_URL sets another)`;
  }

  private failed(what: string, res: Response, body: string): StoreError {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? res.statusText;
    const s = this.settings;
    const account =
      s.auth === "key"
        ? `the service account key (${s.source}) and that its account`
        : `that the service account ${s.source} hands out (the VM's, with the storage read-write scope, or the one Workload Identity binds to the pod)`;
    const hint =
      res.status === 401 || res.status === 403
        ? `check ${account} may read and write objects in bucket ${this.loc.bucket} (Storage Object Admin)`
        : code === "NoSuchBucket"
          ? `create bucket ${this.loc.bucket} first (gcloud storage buckets create gs://${this.loc.bucket})`
          : "retry later";
    return new StoreError("STORE_UNAVAILABLE", `${what}: HTTP ${res.status} ${code}; ${hint}`);
  }

  /**
   * A GET of `name`: the response when it is there (its ETag header replaced by the object's
   * generation, the version conditional writes name), null when the object is not (a missing
   * bucket is an error).
   */
  protected async read(name: string): Promise<Response | null> {
    const what = `GET ${this.loc.uri}/${name}`;
    const { res } = await this.call("GET", this.url(name), what);
    if (!res.ok) {
      const text = await res.text();
      if (res.status === 404 && !/NoSuchBucket/.test(text)) return null;
      throw this.failed(what, res, text);
    }
    const headers = new Headers(res.headers);
    headers.set("etag", res.headers.get("x-goog-generation") ?? "");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }

  /** Write `name`; returns the new generation, or null when the precondition did not hold (another writer got there first). */
  async put(name: string, body: string | Uint8Array, cond: PutCondition = {}): Promise<string | null> {
    const headers: Record<string, string> = { "content-type": typeof body === "string" ? "application/json" : "application/octet-stream" };
    if ("ifNoneMatch" in cond) headers["x-goog-if-generation-match"] = "0";
    if ("ifMatch" in cond) {
      if (!/^\d+$/.test(cond.ifMatch)) return null; // not a generation: no object has it
      headers["x-goog-if-generation-match"] = cond.ifMatch;
    }
    const what = `PUT ${this.loc.uri}/${name}`;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const { res, retried } = await this.call("PUT", this.url(name), what, headers, bytes);
    const text = await res.text();
    // 412 PreconditionFailed: the object is there (match 0) or at another generation (or absent).
    // Sent twice, the refusal may be of our own first write: it landed when the object holds our bytes.
    if (res.status === 412) return retried ? ownWriteETag(() => this.read(name), bytes) : null;
    if (!res.ok) throw this.failed(what, res, text);
    return res.headers.get("x-goog-generation") ?? "";
  }

  async list(dir: string, max = 10_000): Promise<string[]> {
    const what = `LIST ${this.loc.uri}/${dir}/`;
    return this.listV2(dir, max, async (q) => {
      const { res } = await this.call("GET", `${this.base}?${q}`, what);
      const text = await res.text();
      if (!res.ok) throw this.failed(what, res, text);
      return text;
    });
  }

  async delete(name: string): Promise<void> {
    const what = `DELETE ${this.loc.uri}/${name}`;
    const { res } = await this.call("DELETE", this.url(name), what);
    const text = await res.text();
    if (!res.ok && !(res.status === 404 && !/NoSuchBucket/.test(text))) throw this.failed(what, res, text);
  }
}
