// The seam where Vitrine calls LanceDB on an object store: LanceDB's own requests are bounded by
// VITRINE_STORE_TIMEOUT_MS (lanceTimeoutOptions in store-location.ts), but when one fails LanceDB
// says "lance error: LanceError(IO): Generic S3 error: ... error sending request, /usr/local/cargo/...":
// neither the store URI, nor that it timed out, nor the variable that sets the bound. A connection
// to a store URI is wrapped so that such a failure, from any call on it, on a table it opened or on
// a query of one, becomes STORE_UNAVAILABLE naming the call, the store and the fix.
import * as lancedb from "@lancedb/lancedb";
import { StoreError } from "./errors.ts";
import { STORE_TIMEOUT_ENV } from "./object-requests.ts";

/** object_store's error for what is neither a missing object nor a refused condition or credential: network errors, timeouts, 5xx after its retries. */
const STORE_FAILED = /\bGeneric [\w/]+ error: /;

/** Where the Rust error's text ends and its source location begins. */
const RUST_LOCATION = /,\s*\/\S+\.rs:\d+:\d+/;

/** The request that failed, how long it ran, and why ("GET http://… in 301.7ms - HTTP error: error sending request"). */
const FAILED_REQUEST = /Error performing ([A-Z]+ \S+) in ([\d.]+)(µs|ms|s)\b(?:, after (\d+) retries)?[^-]*-\s*(.*)$/;

/** LanceDB's failure of `call` on `where` as the store error users see, or null when it is not the store failing (a missing table, a bad query). */
export function lanceStoreFailure(e: unknown, call: string, where: string, timeoutMs: number): StoreError | null {
  if (e instanceof StoreError) return null;
  const message = e instanceof Error ? e.message : String(e);
  const generic = STORE_FAILED.exec(message);
  if (!generic) return null;
  const text = message
    .slice(generic.index + generic[0].length)
    .split(RUST_LOCATION)[0]!
    .trim();
  const req = FAILED_REQUEST.exec(text);
  const ms = req ? Number(req[2]) * { µs: 0.001, ms: 1, s: 1000 }[req[3] as "µs" | "ms" | "s"] : 0;
  const detail = req ? `${req[1]}${req[4] ? ` (${Number(req[4]) + 1} attempts)` : ""}: ${req[5]!.trim()}` : text;
  // An attempt that ran the whole bound timed out (object_store's message says only "error sending request").
  const fix = `see "Timeouts" in docs/deployment.md`;
  const [what, then] =
    req && ms >= timeoutMs
      ? [`the store did not answer within ${timeoutMs} ms`, `check the store and the network, or raise ${STORE_TIMEOUT_ENV} (now ${timeoutMs} ms; ${fix})`]
      : ["the store failed", `check the store and the network (${STORE_TIMEOUT_ENV}=${timeoutMs} bounds each request and its retries; ${fix})`];
  return new StoreError("STORE_UNAVAILABLE", `LanceDB ${call} on ${where}: ${what} (${detail}); ${then}`, { cause: e });
}

/** Objects whose calls reach the store: wrapped in turn when a call returns one. */
function reachesStore(v: unknown): v is object {
  return (
    v instanceof lancedb.Table ||
    v instanceof lancedb.QueryBase ||
    v instanceof lancedb.MergeInsertBuilder ||
    // The record batch iterator a query's `for await` reads.
    (typeof v === "object" && v !== null && typeof (v as { next?: unknown }).next === "function")
  );
}

/**
 * `db` (a connection to the store at `uri`) with every failure of the store turned into a
 * StoreError by lanceStoreFailure; other errors, and every result, pass through unchanged.
 */
export function guardStoreErrors(db: lancedb.Connection, uri: string, timeoutMs: number): lancedb.Connection {
  return guard(db, uri, timeoutMs);
}

function guard<T extends object>(target: T, where: string, timeoutMs: number): T {
  const fail = (e: unknown, call: string) => lanceStoreFailure(e, call, where, timeoutMs) ?? e;
  const wrap = (v: unknown, call: string): unknown => {
    if (v instanceof Promise) {
      return v.then(
        (r) => wrap(r, call),
        (e) => {
          throw fail(e, call);
        },
      );
    }
    if (v === target) return receiver; // a query builder's `this`: the chain stays wrapped
    // A table's calls name the table; a query's and an iterator's, the table they read.
    if (v instanceof lancedb.Table) return guard(v, `${where}/${v.name}`, timeoutMs);
    return reachesStore(v) ? guard(v, where, timeoutMs) : v;
  };
  const receiver: T = new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t);
      if (typeof v !== "function") return v;
      const call = typeof prop === "symbol" ? (prop.description ?? "call") : prop;
      // Called on the real object: LanceDB's classes keep their state in fields a Proxy does not have.
      return (...args: unknown[]) => {
        try {
          return wrap(v.apply(t, args), call);
        } catch (e) {
          throw fail(e, call);
        }
      };
    },
  });
  return receiver;
}
