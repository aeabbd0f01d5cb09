// API-key authentication: keys come from configuration, are sent as `Authorization: Bearer <key>`
// (or `x-api-key`), and compare in constant time so response timing does not reveal a key's prefix.
import { ApiError } from "./errors.ts";

/**
 * What a key may do: read keys every read operation; admin keys also activate releases and run
 * jobs; search keys only the operations a storefront page calls (SEARCH_OPERATIONS), so a key
 * shipped in a web page can do no more than search.
 */
export type Role = "read" | "admin" | "search";

/** One configured API key. */
export interface ApiKey {
  /** Public name of the key (logged, used for rate limiting); never the secret. */
  id: string;
  /** The secret the client sends. */
  key: string;
  /** What the key may do. */
  role: Role;
  /** Web origins (https://shop.example) the key may be used from; absent or empty: any. */
  origins?: string[] | undefined;
}

/** The caller a request was authenticated as. */
export interface Auth {
  /** Id of the key used. */
  keyId: string;
  /** Its role. */
  role: Role;
  /** The origins the key is restricted to (null: none). */
  origins?: readonly string[] | null;
}

/**
 * The operations a search key may call, by tRPC procedure (a REST route by its operationId, the
 * procedure it mirrors, with ".query" for its GET twin): a storefront's search box, its result
 * grid's item lookups and "more like this".
 */
export const SEARCH_OPERATIONS: ReadonlySet<string> = new Set(["retrieve", "items.get", "similar"]);

/** Whether a search key may call an operation (tRPC path or REST operationId). */
export function isSearchOperation(operation: string): boolean {
  return SEARCH_OPERATIONS.has(operation.replace(/\.query$/, ""));
}

/** The outcome of reading a request's credentials: a caller, or why there is none. */
export type Credential = { auth: Auth; failure: null } | { auth: null; failure: "missing" | "invalid" | "malformed" };

/** The key a request presents, or null when it sends none; "" marks an unusable Authorization header. */
export function presentedKey(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1]! : "";
  }
  const apiKey = headers.get("x-api-key");
  return apiKey === null ? null : apiKey.trim();
}

// Time depends on the presented key's length and the number of keys only, never on where the
// first differing character is or which key matched.
function constantTimeEqual(presented: string, actual: string): boolean {
  let diff = presented.length ^ actual.length;
  for (let i = 0; i < presented.length; i++) {
    diff |= presented.charCodeAt(i) ^ (actual.length > 0 ? actual.charCodeAt(i % actual.length) : 0);
  }
  return diff === 0;
}

/** Build the function that turns request headers into a Credential. */
export function createAuthenticator(keys: readonly ApiKey[]): (headers: Headers) => Credential {
  const table = keys.map((k) => ({ ...k }));
  return (headers) => {
    const presented = presentedKey(headers);
    if (presented === null) return { auth: null, failure: "missing" };
    if (presented === "") return { auth: null, failure: "malformed" };
    let found: ApiKey | null = null;
    for (const k of table) if (constantTimeEqual(presented, k.key) && found === null) found = k;
    if (!found) return { auth: null, failure: "invalid" };
    return { auth: { keyId: found.id, role: found.role, origins: found.origins?.length ? found.origins : null }, failure: null };
  };
}

const FAILURE_MESSAGES = {
  missing: "no API key: send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>')",
  malformed: "the Authorization header must be 'Bearer <key>'",
  invalid: "API key not recognised: check the key you send, or ask an admin for one",
} as const;

/**
 * The caller if it may perform an operation needing `role`; otherwise throws 401 or 403. A search
 * key counts as a read key here: what it may call is checked by checkScope.
 */
export function authorize(cred: Credential, role: Exclude<Role, "search">): Auth {
  if (cred.auth === null) throw new ApiError("UNAUTHORIZED", FAILURE_MESSAGES[cred.failure]);
  if (role === "admin" && cred.auth.role !== "admin") {
    throw new ApiError("FORBIDDEN", `this operation needs an admin key; key "${cred.auth.keyId}" has role ${cred.auth.role}`);
  }
  return cred.auth;
}

/** Refuse a search key any operation (tRPC path or REST operationId; a batch lists several) beyond SEARCH_OPERATIONS (403). */
export function checkScope(auth: Auth, operations: readonly string[]): void {
  if (auth.role !== "search") return;
  const other = operations.find((op) => !isSearchOperation(op));
  if (other === undefined && operations.length > 0) return;
  const what = other === undefined ? "this route" : JSON.stringify(other.slice(0, 100));
  throw new ApiError("FORBIDDEN", `key "${auth.keyId}" is a search key: it may call ${[...SEARCH_OPERATIONS].join(", ")} only, not ${what}; use a read key for that`);
}

/**
 * Refuse a key restricted to origins when the request's Origin is not one of them (403). Browsers
 * always send Origin on the cross-origin calls a storefront makes; a request without one comes from
 * outside a browser, where the restriction cannot be told apart from a forged header anyway, so it
 * is refused too: servers use an unrestricted key.
 */
export function checkOrigin(auth: Auth, origin: string | null | undefined): void {
  if (!auth.origins || auth.origins.length === 0) return;
  if (origin && auth.origins.includes(origin)) return;
  const allowed = auth.origins.join(", ");
  throw new ApiError(
    "FORBIDDEN",
    origin
      ? `key "${auth.keyId}" may be used only from ${allowed}, not from ${origin.slice(0, 200)}; add the origin to the key's origins, or use another key`
      : `key "${auth.keyId}" may be used only from web pages on ${allowed}, and this request sent no Origin header; from a server, use a key without origins`,
  );
}
