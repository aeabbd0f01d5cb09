// Rank eval queries through a running Vitrine API (`vitrine eval --api URL --key KEY`, DESIGN §8),
// so a release is measured exactly as it serves: qid lists, ANN top-up, query understanding and all.
// The key only ever goes into the authorization header; every message is scrubbed of it.
import { LIMITS } from "../../core/index.ts";
import { TrainError, type TrainErrorCode } from "../errors.ts";

/** Options of rankThroughApi. */
export interface ApiRankerOptions {
  /** Base URL of the API (http or https), e.g. http://127.0.0.1:8080; /v1/retrieve is appended. */
  url: string;
  /** API key with read access, sent as `authorization: Bearer <key>`. */
  key: string;
  /** Eval queries (canonical terms), in the order rows are returned. */
  queries: readonly string[];
  /** Item id of every catalog row (row → id), to map answered ids to rows. */
  itemIds: readonly string[];
  /** Items asked per query (default 200; at most the API's LIMITS.maxK). */
  k?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-request timeout in ms, body included (default 10 000). */
  timeoutMs?: number;
  /** Release to ask for (e.g. r003); default the API's active release. */
  release?: string;
  /** fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/** What the API answered for every query. */
export interface ApiRankings {
  /** Per query, catalog rows best first (ids the catalog does not know are dropped). */
  rows: Int32Array[];
  /** How many queries each served path answered ("qid", "ann", "qid+ann", or whatever the API sends). */
  paths: Record<string, number>;
  /** Release that answered the first query; null when there were no queries. */
  release: string | null;
  /** Answered ids (over all queries) the catalog does not know. */
  unknownIds: number;
  /** Things a person should know about the run (mixed releases, unknown ids). */
  warnings: string[];
  /** Round-trip time of the answering request per query (retries and waits excluded). */
  msPerQuery: { p50: number; p95: number };
}

// Bad --api/--key options are the user's to fix; a failing API is REMOTE_FAILED (retrying may work).
const CODE: TrainErrorCode = "BAD_OPTION";
const DEFAULT_K = 200;
const MAX_RETRY_WAIT_MS = 2_000;
const DEFAULT_RETRY_WAIT_MS = 250;

/** The retrieve endpoint of a base URL; throws when the URL is not http(s). */
export function retrieveEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TrainError(CODE, `--api ${JSON.stringify(url)} is not a URL; pass the API's base URL, e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TrainError(CODE, `--api ${JSON.stringify(url)}: the URL must start with http:// or https://, got ${parsed.protocol}`);
  }
  // A base URL may carry a path prefix (behind a proxy); keep it, drop a trailing slash.
  parsed.search = "";
  parsed.hash = "";
  return `${parsed.href.replace(/\/+$/, "")}/v1/retrieve`;
}

/** Parse Retry-After (seconds or an HTTP date) into a wait in ms, capped at 2 s. */
function retryWaitMs(header: string | null): number {
  if (header === null) return DEFAULT_RETRY_WAIT_MS;
  const s = Number(header.trim());
  const ms = Number.isFinite(s) ? s * 1_000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_WAIT_MS) : DEFAULT_RETRY_WAIT_MS;
}

/** Nearest-rank percentile of sorted values (0 when empty). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** What one retrieve answer must hold for eval. */
interface Answer {
  ids: string[];
  path: string;
  release: string;
}

/** Check the parts of a retrieve answer eval reads; returns what is wrong, or the answer. */
function readAnswer(body: unknown): Answer | string {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "the body is not a JSON object";
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.items)) return "items is not an array";
  const ids: string[] = [];
  for (const [i, item] of b.items.entries()) {
    const id = item !== null && typeof item === "object" ? (item as Record<string, unknown>).id : undefined;
    if (typeof id !== "string") return `items[${i}].id is not a string`;
    ids.push(id);
  }
  if (typeof b.path !== "string") return "path is not a string";
  if (typeof b.release !== "string") return "release is not a string";
  return { ids, path: b.path, release: b.release };
}

/** The API's own error message from an error body, when it sent one. */
function apiMessage(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (e && typeof e.message === "string") return `${typeof e.code === "string" ? `${e.code}: ` : ""}${e.message}`;
  } catch {
    // Not JSON: fall through to a short excerpt.
  }
  const t = text.trim().replace(/\s+/g, " ");
  return t.length === 0 ? "(empty body)" : t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** Why a fetch failed, in a few words (undici hides the socket error in `cause`). */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (cause && typeof cause.message === "string") return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** Rank every query through POST <url>/v1/retrieve; fails on the first query that cannot be answered. */
export async function rankThroughApi(opts: ApiRankerOptions): Promise<ApiRankings> {
  const k = opts.k ?? DEFAULT_K;
  if (!Number.isInteger(k) || k < 1 || k > LIMITS.maxK) throw new TrainError(CODE, `k must be an integer in [1, ${LIMITS.maxK}] (the API's largest k), got ${k}`);
  const concurrency = opts.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TrainError(CODE, `concurrency must be an integer ≥ 1, got ${concurrency}`);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TrainError(CODE, `timeoutMs must be a positive number, got ${timeoutMs}`);
  const endpoint = retrieveEndpoint(opts.url);
  // A key with spaces or control characters would make fetch throw a message that quotes it.
  if (!/^[\x21-\x7e]+$/.test(opts.key)) {
    throw new TrainError(CODE, "the API key is empty or holds spaces or control characters; pass an API key with read access (--key or VITRINE_API_KEY)");
  }
  const key = opts.key;
  const scrub = (s: string) => s.split(key).join("<key>");
  const fail = (msg: string, cause?: unknown) => new TrainError("REMOTE_FAILED", scrub(msg), cause === undefined ? undefined : { cause });
  const doFetch = opts.fetch ?? fetch;
  const rowOf = new Map<string, number>();
  opts.itemIds.forEach((id, row) => rowOf.set(id, row));

  const n = opts.queries.length;
  const rows: Int32Array[] = new Array<Int32Array>(n);
  const answers: Answer[] = new Array<Answer>(n);
  const ms: number[] = new Array<number>(n);
  // Aborted on the first failure so in-flight requests stop and no worker starts another.
  const stop = new AbortController();

  /** One attempt: the response status, headers and body text, or why the request failed. */
  const attempt = async (body: string): Promise<{ res: Response; text: string; ms: number } | { error: string; cause: unknown }> => {
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    stop.signal.addEventListener("abort", onStop, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const t0 = performance.now();
    try {
      const res = await doFetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${key}` },
        body,
        signal: ctl.signal,
      });
      return { res, text: await res.text(), ms: performance.now() - t0 };
    } catch (e) {
      return { error: timedOut ? `timed out after ${timeoutMs} ms` : `network error (${networkReason(e)})`, cause: e };
    } finally {
      clearTimeout(timer);
      stop.signal.removeEventListener("abort", onStop);
    }
  };

  /** Ask for one query, retrying once on a network error, a timeout, 429 or 5xx. */
  const retrieveOne = async (q: number): Promise<void> => {
    const query = opts.queries[q]!;
    const where = `POST ${endpoint} (query ${JSON.stringify(query)})`;
    const body = JSON.stringify({ query, k, ...(opts.release !== undefined ? { release: opts.release } : {}) });
    for (let tries = 1; ; tries++) {
      const got = await attempt(body);
      if (stop.signal.aborted) return;
      const last = tries >= 2;
      if ("error" in got) {
        if (!last) {
          await new Promise((r) => setTimeout(r, DEFAULT_RETRY_WAIT_MS));
          continue;
        }
        throw fail(`${where}: ${got.error}, also on retry; check that the API is running at ${opts.url}`, got.cause);
      }
      const { res, text } = got;
      if (res.status === 401 || res.status === 403) {
        throw fail(`${where}: the API refused the key (${res.status}); pass an API key with read access (--key or VITRINE_API_KEY)`);
      }
      if (res.status === 429 || res.status >= 500) {
        if (!last) {
          await new Promise((r) => setTimeout(r, retryWaitMs(res.headers.get("retry-after"))));
          continue;
        }
        throw fail(`${where} answered ${res.status}, also on retry: ${apiMessage(text)}${res.status === 429 ? "; lower the concurrency or raise the key's rate limit" : ""}`);
      }
      if (!res.ok) throw fail(`${where} answered ${res.status}: ${apiMessage(text)}`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw fail(`${where} answered ${res.status} with a body that is not JSON (${res.headers.get("content-type") ?? "no content-type"}); is ${opts.url} the base URL of a Vitrine API?`);
      }
      const answer = readAnswer(json);
      if (typeof answer === "string") throw fail(`${where} answered ${res.status} with an unexpected body: ${answer}; is ${opts.url} the base URL of a Vitrine API?`);
      answers[q] = answer;
      ms[q] = got.ms;
      return;
    }
  };

  let next = 0;
  const worker = async () => {
    while (!stop.signal.aborted && next < n) {
      const q = next++;
      try {
        await retrieveOne(q);
      } catch (e) {
        stop.abort();
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));

  const paths: Record<string, number> = {};
  const releases = new Map<string, number>();
  let unknownIds = 0;
  let answersWithUnknown = 0;
  answers.forEach((a, q) => {
    paths[a.path] = (paths[a.path] ?? 0) + 1;
    releases.set(a.release, (releases.get(a.release) ?? 0) + 1);
    const known: number[] = [];
    for (const id of a.ids) {
      const row = rowOf.get(id);
      if (row === undefined) unknownIds++;
      else known.push(row);
    }
    if (known.length < a.ids.length) answersWithUnknown++;
    rows[q] = Int32Array.from(known);
  });
  const warnings: string[] = [];
  if (releases.size > 1) {
    const list = [...releases].map(([r, c]) => `${r} (${c} queries)`).join(", ");
    warnings.push(`answers came from more than one release: ${list}; a release was activated during the eval — pass a release to pin one`);
  }
  if (unknownIds > 0) {
    warnings.push(
      `${unknownIds} answered ids (in ${answersWithUnknown} of ${n} answers) are not in the catalog this eval uses and count as misses; does the API serve the same catalog as the data directory?`,
    );
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    rows,
    paths,
    release: answers[0]?.release ?? null,
    unknownIds,
    warnings,
    msPerQuery: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) },
  };
}
