// Workers KV through the Cloudflare API: bulk writes (PUT …/bulk) and bulk deletes
// (POST …/bulk/delete) in batches within the API's limits, key listing (GET …/keys) and single
// reads (GET …/values/<key>). Every request retries on 429/5xx/network failures with backoff
// (Retry-After honoured), and bulk requests re-send the keys the API reports as unsuccessful.
// `endpoint` and `fetch` are injectable so tests point it at Miniflare's KV.
import { CodedError, type ErrorKind } from "../core/index.ts";
import type { KvEntry } from "./edge-export.ts";

/** Error codes of the edge's KV operations. */
export type EdgePushErrorCode =
  | "BAD_OPTION"
  | "KV_AUTH"
  | "KV_REJECTED"
  | "KV_UNAVAILABLE"
  | "KV_LIMIT"
  /** The store records an edge but no credentials were given to move it (or to skip it explicitly). */
  | "EDGE_REQUIRED"
  /** The release is not completely in KV (no meta record): the pointer is never moved to it. */
  | "EDGE_INCOMPLETE"
  /** The edge serves another release than the origin. */
  | "EDGE_DRIFT";

const KINDS: Record<EdgePushErrorCode, ErrorKind> = {
  BAD_OPTION: "usage",
  KV_AUTH: "input",
  KV_REJECTED: "input",
  KV_UNAVAILABLE: "unavailable",
  KV_LIMIT: "input",
  EDGE_REQUIRED: "conflict",
  EDGE_INCOMPLETE: "conflict",
  EDGE_DRIFT: "conflict",
};

/** The one typed error of the edge's KV side (push, pointer moves, gc, status). */
export class EdgePushError extends CodedError<EdgePushErrorCode> {
  override readonly name = "EdgePushError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}

/** Limits of one bulk request (Cloudflare: 10,000 pairs or keys and 100 MB per request, 512-byte keys, 25 MiB values). */
export const KV_BULK_LIMITS = { maxKeys: 10_000, maxBytes: 100_000_000, maxKeyBytes: 512, maxValueBytes: 25 * 1024 * 1024 } as const;

/** Options of the Cloudflare KV client. */
export interface CloudflareKvOptions {
  /** Cloudflare account id. */
  accountId: string;
  /** Workers KV namespace id (the one bound as QIDS in wrangler.toml). */
  namespaceId: string;
  /** API token with "Workers KV Storage: Edit". */
  apiToken: string;
  /** API base (default https://api.cloudflare.com/client/v4). */
  endpoint?: string;
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Attempts per request before giving up (default 8). */
  maxAttempts?: number;
  /** First backoff in ms, doubled per attempt with jitter (default 500). */
  baseDelayMs?: number;
  /** Longest backoff in ms (default 30,000). */
  maxDelayMs?: number;
  /** Called before each retry. */
  onRetry?: (info: { attempt: number; status: number | null; delayMs: number; keys: number }) => void;
}

/** A batch ready to send: serialised `{ key, value }` objects. */
export interface KvBatch {
  /** JSON of each `{ key, value }`. */
  parts: string[];
  /** Their keys, in order. */
  keys: string[];
  /** Request body size in bytes. */
  bytes: number;
}

/** Workers KV as the pusher, the pointer mover, gc and `vitrine edge status` use it. */
export interface KvClient {
  /** Store every pair of the batch, or throw EdgePushError. */
  putBatch(batch: KvBatch): Promise<void>;
  /** Delete these keys (at most KV_BULK_LIMITS.maxKeys; absent keys are fine), or throw EdgePushError. */
  deleteBatch(keys: readonly string[]): Promise<void>;
  /** Every key with this prefix, page by page. */
  listKeys(prefix: string): AsyncGenerator<string>;
  /** A value as text, or null when the key does not exist. */
  get(key: string): Promise<string | null>;
  /** Requests sent and retries made so far. */
  readonly stats: { requests: number; retries: number };
}

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Group entries into batches within the bulk limits (limits overridable for tests). */
export async function* kvBatches(entries: AsyncIterable<KvEntry> | Iterable<KvEntry>, limits: Partial<Record<keyof typeof KV_BULK_LIMITS, number>> = {}): AsyncGenerator<KvBatch> {
  const L = { ...KV_BULK_LIMITS, ...limits };
  // Body = "[" + parts joined by "," + "]": 2 bytes + each part + a comma between parts.
  let cur: KvBatch = { parts: [], keys: [], bytes: 1 };
  for await (const e of entries) {
    if (utf8(e.key) > L.maxKeyBytes) throw new EdgePushError("KV_LIMIT", `KV key "${e.key.slice(0, 80)}…" is over ${L.maxKeyBytes} bytes`);
    const valueBytes = utf8(e.value);
    if (valueBytes > L.maxValueBytes) {
      throw new EdgePushError("KV_LIMIT", `KV value of "${e.key}" is ${valueBytes} bytes, over the ${L.maxValueBytes}-byte limit; push shorter lists (--edge-list-length)`);
    }
    const part = JSON.stringify({ key: e.key, value: e.value });
    const size = utf8(part) + 1;
    if (cur.parts.length > 0 && (cur.parts.length >= L.maxKeys || cur.bytes + size > L.maxBytes)) {
      yield cur;
      cur = { parts: [], keys: [], bytes: 1 };
    }
    cur.parts.push(part);
    cur.keys.push(e.key);
    cur.bytes += size;
  }
  if (cur.parts.length) yield cur;
}

/** Keys in groups of at most `maxKeys` (the bulk delete's limit), in order. */
export async function* keyBatches(keys: AsyncIterable<string> | Iterable<string>, maxKeys: number = KV_BULK_LIMITS.maxKeys): AsyncGenerator<string[]> {
  let cur: string[] = [];
  for await (const k of keys) {
    cur.push(k);
    if (cur.length >= maxKeys) {
      yield cur;
      cur = [];
    }
  }
  if (cur.length) yield cur;
}

interface ApiResponse {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: unknown;
  result_info?: { cursor?: string; count?: number } | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retry-After in seconds (or an HTTP date) → ms; null when absent or unreadable. */
function retryAfterMs(h: string | null): number | null {
  if (!h) return null;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

/** A KvClient on the Cloudflare API. */
export function createCloudflareKv(opts: CloudflareKvOptions): KvClient {
  for (const [name, v] of [
    ["account id", opts.accountId],
    ["namespace id", opts.namespaceId],
    ["API token", opts.apiToken],
  ] as const) {
    if (!v) throw new EdgePushError("BAD_OPTION", `the Cloudflare ${name} is missing (see \`vitrine publish --help\`, --edge options)`);
  }
  const base = (opts.endpoint ?? "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");
  const ns = `${base}/accounts/${encodeURIComponent(opts.accountId)}/storage/kv/namespaces/${encodeURIComponent(opts.namespaceId)}`;
  const doFetch = opts.fetch ?? fetch;
  const maxAttempts = opts.maxAttempts ?? 8;
  const baseDelay = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const stats = { requests: 0, retries: 0 };
  const auth = { authorization: `Bearer ${opts.apiToken}` };

  /**
   * One API call with retries. `attemptOnce` sends the request and judges the answer: a value ends
   * the call, `{ retry: why }` tries again (after a backoff), an EdgePushError stops it.
   */
  async function withRetries<T>(what: string, keys: () => number, attemptOnce: () => Promise<{ done: T } | { retry: string; res: Response }>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let status: number | null = null;
      let retryAfter: number | null = null;
      let why: string;
      try {
        stats.requests++;
        const r = await attemptOnce();
        if ("done" in r) return r.done;
        status = r.res.status;
        retryAfter = retryAfterMs(r.res.headers.get("retry-after"));
        why = r.retry;
      } catch (e) {
        if (e instanceof EdgePushError) throw e;
        // Network failure (reset, DNS, timeout): retry like a 5xx.
        why = (e as Error).message;
      }
      if (attempt >= maxAttempts) throw new EdgePushError("KV_UNAVAILABLE", `${what} failed after ${attempt} attempts (${why})`);
      const delay = Math.min(maxDelay, retryAfter ?? baseDelay * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      stats.retries++;
      opts.onRetry?.({ attempt, status, delayMs: delay, keys: keys() });
      await sleep(delay);
    }
  }

  /** The API's JSON answer, or the reason to retry; throws on answers that retrying cannot fix. */
  async function judge(res: Response, what: string): Promise<{ body: ApiResponse } | { retry: string }> {
    const text = await res.text();
    let body: ApiResponse = {};
    try {
      body = JSON.parse(text) as ApiResponse;
    } catch {
      // A proxy's HTML error page: judged by the status alone.
    }
    const errors = (body.errors ?? []).map((e) => `${e.code ?? "?"}: ${e.message ?? ""}`).join("; ") || text.slice(0, 200);
    if (res.ok && body.success !== false) return { body };
    if (res.status === 401 || res.status === 403) {
      throw new EdgePushError("KV_AUTH", `Cloudflare refused the API token (HTTP ${res.status}: ${errors}); it needs "Workers KV Storage: Edit" on the account`);
    }
    if (res.status !== 429 && res.status < 500) throw new EdgePushError("KV_REJECTED", `Cloudflare rejected a ${what} (HTTP ${res.status}: ${errors})`);
    return { retry: `HTTP ${res.status}: ${errors}` };
  }

  /** A bulk request (write or delete): re-sends only the keys the API reports as unsuccessful. */
  async function bulk(what: string, url: string, method: "PUT" | "POST", parts: string[], keys: string[]): Promise<void> {
    await withRetries<void>(
      what,
      () => keys.length,
      async () => {
        const res = await doFetch(url, { method, headers: { ...auth, "content-type": "application/json" }, body: `[${parts.join(",")}]` });
        const j = await judge(res, what);
        if ("retry" in j) return { retry: j.retry, res };
        const result = j.body.result as { unsuccessful_keys?: string[] } | null | undefined;
        const failed = new Set(result?.unsuccessful_keys ?? []);
        if (failed.size === 0) return { done: undefined };
        // Keys the API could not store (or delete) this time: send just those again.
        const keep = keys.map((k, i) => (failed.has(k) ? i : -1)).filter((i) => i >= 0);
        parts = keep.map((i) => parts[i]!);
        keys = keep.map((i) => keys[i]!);
        return { retry: `${failed.size} key(s) unsuccessful`, res };
      },
    );
  }

  return {
    stats,
    putBatch: (batch) => bulk("KV bulk write", `${ns}/bulk`, "PUT", batch.parts, batch.keys),
    async deleteBatch(keys) {
      if (keys.length === 0) return;
      if (keys.length > KV_BULK_LIMITS.maxKeys) throw new EdgePushError("KV_LIMIT", `a bulk delete takes at most ${KV_BULK_LIMITS.maxKeys} keys, got ${keys.length}`);
      await bulk(
        "KV bulk delete",
        `${ns}/bulk/delete`,
        "POST",
        keys.map((k) => JSON.stringify(k)),
        [...keys],
      );
    },
    async *listKeys(prefix) {
      let cursor = "";
      do {
        const url = `${ns}/keys?limit=1000&prefix=${encodeURIComponent(prefix)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page = await withRetries<ApiResponse>(
          "KV key listing",
          () => 0,
          async () => {
            const res = await doFetch(url, { headers: auth });
            const j = await judge(res, "KV key listing");
            return "retry" in j ? { retry: j.retry, res } : { done: j.body };
          },
        );
        for (const k of (page.result as { name: string }[] | undefined) ?? []) yield k.name;
        cursor = page.result_info?.cursor ?? "";
      } while (cursor);
    },
    async get(key) {
      return withRetries<string | null>(
        "KV read",
        () => 1,
        async () => {
          const res = await doFetch(`${ns}/values/${encodeURIComponent(key)}`, { headers: auth });
          if (res.status === 404) {
            // "key not found" (10009); a namespace the account lacks (10013) must not read as empty.
            const text = await res.text();
            if (/"code":\s*10013/.test(text))
              throw new EdgePushError("KV_REJECTED", `Cloudflare has no KV namespace ${opts.namespaceId} in account ${opts.accountId} (check --edge-namespace / VITRINE_EDGE_KV_NAMESPACE)`);
            return { done: null };
          }
          if (res.ok) return { done: await res.text() };
          const j = await judge(res, "KV read");
          if ("retry" in j) return { retry: j.retry, res };
          return { done: null };
        },
      );
    },
  };
}
