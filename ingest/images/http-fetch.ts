/** Options for {@link fetchImageBytes}. */
export interface HttpFetchOptions {
  /** Per-attempt timeout in ms, covering headers and body. */
  timeoutMs: number;
  /** Extra attempts after a retryable failure (network error, timeout, 429, 5xx). */
  retries: number;
  /** Base backoff in ms, doubled each attempt, with jitter. */
  backoffMs: number;
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** The fetch to call. */
  fetch: typeof fetch;
  /** Called once before each retry (for the loader's counters). */
  onRetry?: () => void;
  /** Checks every URL before it is requested, the first and each redirect's: a reason refuses it (permanently). */
  checkUrl?: (url: string) => Promise<string | null>;
  /** Redirects followed per attempt (default 5); more is a permanent failure. */
  maxRedirects?: number;
}

/** Outcome of fetching one URL. */
export type HttpFetchResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** Longest wait a server's Retry-After may ask for; past it we would rather fail than stall an import. */
const MAX_RETRY_AFTER_MS = 30_000;

type Attempt = { ok: true; bytes: Uint8Array } | { ok: false; reason: string; retryable: boolean; retryAfterMs?: number };

class TooLarge extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Backoff for retry n (0-based): base·2ⁿ, jittered to [½, 1]× so many failing fetches do not retry in lockstep. */
function backoff(base: number, n: number): number {
  const full = base * 2 ** n;
  return full / 2 + Math.random() * (full / 2);
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Read a body stream, stopping as soon as it passes `maxBytes`. */
async function readBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge(`image too large: over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

// DNS answers that will not change on a retry.
const PERMANENT_NETWORK = new Set(["ENOTFOUND", "ERR_INVALID_URL"]);

async function attempt(url: string, options: HttpFetchOptions): Promise<Attempt> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const maxRedirects = options.maxRedirects ?? 5;
  try {
    // Redirects are followed here, not by fetch, so every hop's host is checked before it is requested.
    let response: Response;
    let current = url;
    for (let hops = 0; ; hops++) {
      const refused = options.checkUrl ? await options.checkUrl(current) : null;
      if (refused !== null) return { ok: false, reason: refused, retryable: false };
      response = await options.fetch(current, { signal: controller.signal, redirect: "manual", headers: { accept: "image/*,*/*;q=0.8" } });
      const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
      if (location === null) break;
      await response.body?.cancel().catch(() => undefined);
      if (hops >= maxRedirects) return { ok: false, reason: `too many redirects (more than ${maxRedirects})`, retryable: false };
      const next = new URL(location, current);
      if (next.protocol !== "http:" && next.protocol !== "https:") return { ok: false, reason: `redirect to unsupported scheme ${next.protocol}`, retryable: false };
      current = next.href;
    }
    if (!response.ok) {
      // Free the connection; the error body is of no use.
      await response.body?.cancel().catch(() => undefined);
      const status = response.status;
      const retryable = status === 429 || status >= 500;
      const retryAfterMs = retryable ? parseRetryAfter(response.headers.get("retry-after")) : undefined;
      return { ok: false, reason: `http ${status}`, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: `image too large: ${declared} bytes > ${options.maxBytes}`, retryable: false };
    }
    // Content-Length may be absent or wrong, so the body is counted as it arrives too.
    const bytes = await readBody(response.body, options.maxBytes);
    return { ok: true, bytes };
  } catch (error) {
    if (error instanceof TooLarge) return { ok: false, reason: error.message, retryable: false };
    if (timedOut) return { ok: false, reason: `timeout after ${options.timeoutMs} ms`, retryable: true };
    const what = describeNetworkError(error);
    return { ok: false, reason: `network error: ${what}`, retryable: !PERMANENT_NETWORK.has(what) };
  } finally {
    clearTimeout(timer);
  }
}

/** Fetch a URL's bytes with a per-attempt timeout, a size cap and retries; never throws for network trouble. */
export async function fetchImageBytes(url: string, options: HttpFetchOptions): Promise<HttpFetchResult> {
  let attempts = 0;
  for (;;) {
    const result = await attempt(url, options);
    attempts++;
    if (result.ok) return result;
    if (!result.retryable || attempts > options.retries) {
      const suffix = attempts > 1 ? ` (${attempts} attempts)` : "";
      return { ok: false, reason: `${result.reason}${suffix}` };
    }
    options.onRetry?.();
    await sleep(Math.max(backoff(options.backoffMs, attempts - 1), result.retryAfterMs ?? 0));
  }
}
