// Writing to Workers KV through the Cloudflare API's bulk endpoint
// (PUT {endpoint}/accounts/{account}/storage/kv/namespaces/{namespace}/bulk): batches within the
// API's limits, retries on 429/5xx/network failures with backoff (Retry-After honoured), and
// re-sends keys the API reports as unsuccessful. `endpoint` and `fetch` are injectable so tests
// point it at Miniflare's KV.
import { CodedError, type ErrorKind } from "../core/index.ts";
import type { KvEntry } from "./edge-export.ts";

/** Error codes of an edge push. */
export type EdgePushErrorCode = "BAD_OPTION" | "KV_AUTH" | "KV_REJECTED" | "KV_UNAVAILABLE" | "KV_LIMIT";

/** The one typed error of the edge push (publish → Workers KV). */
export class EdgePushError extends CodedError<EdgePushErrorCode> {
  override readonly name = "EdgePushError";
  get kind(): ErrorKind {
    return this.code === "BAD_OPTION" ? "usage" : this.code === "KV_UNAVAILABLE" ? "unavailable" : "input";
  }
}

/** Limits of one bulk write (Cloudflare: 10,000 pairs and 100 MB per request, 512-byte keys, 25 MiB values). */
export const KV_BULK_LIMITS = { maxKeys: 10_000, maxBytes: 100_000_000, maxKeyBytes: 512, maxValueBytes: 25 * 1024 * 1024 } as const;

/** Options of the Cloudflare KV bulk writer. */
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
  /** Attempts per batch before giving up (default 8). */
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

/** Something that stores a batch of KV pairs. */
export interface KvBulkWriter {
  /** Store every pair of the batch, or throw EdgePushError. */
  putBatch(batch: KvBatch): Promise<void>;
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

interface BulkResponse {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: { successful_key_count?: number; unsuccessful_keys?: string[] } | null;
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

/** A KvBulkWriter on the Cloudflare API's bulk endpoint. */
export function createCloudflareKvWriter(opts: CloudflareKvOptions): KvBulkWriter {
  for (const [name, v] of [
    ["account id", opts.accountId],
    ["namespace id", opts.namespaceId],
    ["API token", opts.apiToken],
  ] as const) {
    if (!v) throw new EdgePushError("BAD_OPTION", `the Cloudflare ${name} is missing (see \`vitrine publish --help\`, --edge options)`);
  }
  const base = (opts.endpoint ?? "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");
  const url = `${base}/accounts/${encodeURIComponent(opts.accountId)}/storage/kv/namespaces/${encodeURIComponent(opts.namespaceId)}/bulk`;
  const doFetch = opts.fetch ?? fetch;
  const maxAttempts = opts.maxAttempts ?? 8;
  const baseDelay = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const stats = { requests: 0, retries: 0 };

  return {
    stats,
    async putBatch(batch: KvBatch): Promise<void> {
      let parts = batch.parts;
      let keys = batch.keys;
      for (let attempt = 1; ; attempt++) {
        let status: number | null = null;
        let why: string;
        try {
          stats.requests++;
          const res = await doFetch(url, {
            method: "PUT",
            headers: { authorization: `Bearer ${opts.apiToken}`, "content-type": "application/json" },
            body: `[${parts.join(",")}]`,
          });
          status = res.status;
          const text = await res.text();
          let body: BulkResponse = {};
          try {
            body = JSON.parse(text) as BulkResponse;
          } catch {
            // A proxy's HTML error page: judged by the status alone.
          }
          const errors = (body.errors ?? []).map((e) => `${e.code ?? "?"}: ${e.message ?? ""}`).join("; ") || text.slice(0, 200);
          if (res.ok && body.success !== false) {
            const failed = new Set(body.result?.unsuccessful_keys ?? []);
            if (failed.size === 0) return;
            // Keys the API could not store this time: send just those again.
            const keep = keys.map((k, i) => (failed.has(k) ? i : -1)).filter((i) => i >= 0);
            parts = keep.map((i) => parts[i]!);
            keys = keep.map((i) => keys[i]!);
            why = `${failed.size} key(s) unsuccessful`;
          } else if (status === 401 || status === 403) {
            throw new EdgePushError("KV_AUTH", `Cloudflare refused the API token (HTTP ${status}: ${errors}); it needs "Workers KV Storage: Edit" on the account`);
          } else if (status !== 429 && status < 500) {
            throw new EdgePushError("KV_REJECTED", `Cloudflare rejected a KV bulk write (HTTP ${status}: ${errors})`);
          } else why = `HTTP ${status}: ${errors}`;
          if (attempt >= maxAttempts) throw new EdgePushError("KV_UNAVAILABLE", `KV bulk write failed after ${attempt} attempts (${why})`);
          const delay = retryAfterMs(res.headers.get("retry-after")) ?? Math.min(maxDelay, baseDelay * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
          stats.retries++;
          opts.onRetry?.({ attempt, status, delayMs: delay, keys: keys.length });
          await sleep(Math.min(delay, maxDelay));
        } catch (e) {
          if (e instanceof EdgePushError) throw e;
          // Network failure (reset, DNS, timeout): retry like a 5xx.
          if (attempt >= maxAttempts) throw new EdgePushError("KV_UNAVAILABLE", `KV bulk write failed after ${attempt} attempts (${(e as Error).message})`);
          const delay = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
          stats.retries++;
          opts.onRetry?.({ attempt, status, delayMs: delay, keys: keys.length });
          await sleep(delay);
        }
      }
    },
  };
}
