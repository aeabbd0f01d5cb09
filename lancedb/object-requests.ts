// What both object store clients (s3-objects.ts, azure-objects.ts) do around one HTTP request:
// bound it in time (a store that accepts the connection and never answers must not hang a publish,
// a lease's heartbeat or a job), retry what may be retried a bounded number of times, and tell a
// conditional PUT whose answer was lost from one that lost the race.
import { StoreError } from "./errors.ts";
import { readBounded } from "./object-responses.ts";

/** The variable that sets the bound of one object request, in milliseconds. */
export const STORE_TIMEOUT_ENV = "VITRINE_STORE_TIMEOUT_MS";

/** The default bound: ample for a store under load, and short of a writer lease's 30 s ttl plus its beats. */
export const DEFAULT_STORE_TIMEOUT_MS = 30_000;

/** Retries of an attempt that failed on the network or with 5xx / 429; one that timed out is not retried (the store is hanging). */
const RETRIES = 3;

/**
 * The slowest body transfer allowed past the timeout: a body (sent or read) may take timeout +
 * size / this, so a 200 MB model file may take ~13 min while a small record fails one timeout after
 * its headers.
 */
const MIN_BODY_BYTES_PER_S = 256 * 1024;

/** The bound of one object request from the environment (VITRINE_STORE_TIMEOUT_MS); a bad value fails naming the variable. */
export function storeTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env[STORE_TIMEOUT_ENV]?.trim();
  if (!raw) return DEFAULT_STORE_TIMEOUT_MS;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < 100 || ms > 3_600_000) {
    throw new StoreError("BAD_OPTION", `${STORE_TIMEOUT_ENV}=${raw}: expected a whole number of milliseconds, 100–3600000 (default ${DEFAULT_STORE_TIMEOUT_MS})`);
  }
  return ms;
}

/** One object request, for the messages and the bound. */
export interface RequestOptions {
  /** What it does, as messages name it: "PUT s3://bucket/prefix/writer.lease". */
  what: string;
  /** The bound of each attempt's wait for the answer's headers (plus the request body's size / 256 KiB/s: a model file's upload), and of the answer body's read (plus its size / 256 KiB/s), in ms. */
  timeoutMs: number;
  /** Bytes the request sends (a PUT's body), for the wait's bound; 0 when absent. */
  sendsBytes?: number;
  /** The fix a network failure names: "check AWS_ENDPOINT_URL and the network". */
  hint: string;
}

/** The store's answer to a request. */
export interface Answer {
  /** The response; reading its body is bounded in time too (a stalled body fails with STORE_UNAVAILABLE). */
  res: Response;
  /**
   * True when an earlier attempt failed without a usable answer (network error, 5xx, 429) and the
   * request was sent again: that earlier attempt may have reached the store and taken effect.
   */
  retried: boolean;
}

/**
 * Send a request: `send` makes one attempt (signed anew) with the signal it is given. Attempts that
 * fail on the network or answer 5xx / 429 are retried after 100, 200, 400 ms; each attempt's wait
 * for an answer is bounded by the timeout (plus what sending its body may take) and a timed-out one
 * is not retried, so a call ends within 4 such waits and 0.7 s, plus its answer body's bound.
 */
export async function sendRequest(send: (signal: AbortSignal) => Promise<Response>, o: RequestOptions): Promise<Answer> {
  let retried = false;
  const waitMs = o.timeoutMs + Math.floor(((o.sendsBytes ?? 0) / MIN_BODY_BYTES_PER_S) * 1000);
  for (let attempt = 0; ; attempt++) {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), waitMs);
    let res: Response;
    try {
      res = await send(ac.signal);
    } catch (e) {
      if (ac.signal.aborted) throw timedOut(o, waitMs, "waiting for the store's answer", e);
      if (attempt < RETRIES) {
        retried = true;
        await backoff(attempt);
        continue;
      }
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new StoreError("STORE_UNAVAILABLE", `${o.what}: ${(e as Error).message}${cause ? ` (${cause})` : ""}; ${o.hint}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    if ((res.status >= 500 || res.status === 429) && attempt < RETRIES) {
      ac.abort(); // the error body is not wanted: drop it with its connection
      retried = true;
      await backoff(attempt);
      continue;
    }
    return { res: boundedBody(res, ac, o), retried };
  }
}

/** The timeout's error: timed out, after how long, on which object, and the variable that sets the bound. */
function timedOut(o: RequestOptions, ms: number, phase: string, cause?: unknown): StoreError {
  return new StoreError(
    "STORE_UNAVAILABLE",
    `${o.what}: timed out after ${ms} ms ${phase}; check the store and the network, or raise ${STORE_TIMEOUT_ENV} (now ${o.timeoutMs} ms)`,
    cause === undefined ? undefined : { cause },
  );
}

/** Statuses whose Response cannot carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * `res` with its body read under a bound: each read waits at most the timeout for the next bytes,
 * and the whole body at most timeout + size / MIN_BODY_BYTES_PER_S (size: Content-Length, or what
 * came so far). Past it the body fails with STORE_UNAVAILABLE ("timed out") and the connection is
 * dropped; a body that breaks off fails with STORE_UNAVAILABLE too, instead of a bare TypeError.
 */
function boundedBody(res: Response, ac: AbortController, o: RequestOptions): Response {
  if (!res.body || NULL_BODY.has(res.status)) return res;
  const source = res.body.getReader();
  const declared = Number(res.headers.get("content-length")) || 0;
  const start = Date.now();
  let received = 0;
  let failed: StoreError | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const total = start + o.timeoutMs + (Math.max(declared, received) / MIN_BODY_BYTES_PER_S) * 1000;
      const wait = Math.max(0, Math.min(o.timeoutMs, total - Date.now()));
      timer = setTimeout(() => {
        failed = timedOut(o, Date.now() - start, `reading the answer's body (${received}${declared ? ` of ${declared}` : ""} bytes came)`);
        controller.error(failed);
        ac.abort(failed);
      }, wait);
      try {
        const { done, value } = await source.read();
        if (failed) return;
        if (done) controller.close();
        else {
          received += value.byteLength;
          controller.enqueue(value);
        }
      } catch (e) {
        if (!failed) controller.error(new StoreError("STORE_UNAVAILABLE", `${o.what}: the answer broke off after ${received} bytes of its body: ${(e as Error).message}; ${o.hint}`, { cause: e }));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return source.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** Wait before retry `attempt` (0-based): 100 ms, 200 ms, 400 ms. */
function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
}

/**
 * After a conditional PUT that was sent more than once (`Answer.retried`) ended with its condition
 * failed: the ETag of the object when it holds exactly the bytes `sent`, else null. An attempt whose
 * answer was lost (a proxy's 5xx after the store committed, a reset connection) may have landed,
 * and then the retry finds its own write and is refused. Identical bytes are ours: every
 * conditional body Vitrine writes is unique to its writer and moment (a lease record carries its
 * holder's random token, the time it was taken and a beat counter; a store image is named by its
 * bytes' hash, so equal bytes there are the same image). `read` is the client's GET: the response,
 * or null when the object is absent.
 */
export async function ownWriteETag(read: () => Promise<Response | null>, sent: Uint8Array): Promise<string | null> {
  const res = await read();
  if (!res) return null;
  const got = await readBounded(res, sent.byteLength);
  return got !== "too large" && Buffer.compare(got, sent) === 0 ? (res.headers.get("etag") ?? "") : null;
}
