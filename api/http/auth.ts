// API-key authentication: keys come from configuration, are sent as `Authorization: Bearer <key>`
// (or `x-api-key`), and compare in constant time so response timing does not reveal a key's prefix.
import { ApiError } from "./errors.ts";

/** What a key may do: read keys retrieve; admin keys also activate releases and run jobs. */
export type Role = "read" | "admin";

/** One configured API key. */
export interface ApiKey {
  /** Public name of the key (logged, used for rate limiting); never the secret. */
  id: string;
  /** The secret the client sends. */
  key: string;
  /** What the key may do. */
  role: Role;
}

/** The caller a request was authenticated as. */
export interface Auth {
  /** Id of the key used. */
  keyId: string;
  /** Its role. */
  role: Role;
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
    return found ? { auth: { keyId: found.id, role: found.role }, failure: null } : { auth: null, failure: "invalid" };
  };
}

const FAILURE_MESSAGES = {
  missing: "no API key: send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>')",
  malformed: "the Authorization header must be 'Bearer <key>'",
  invalid: "API key not recognised: check the key you send, or ask an admin for one",
} as const;

/** The caller if it may perform an operation needing `role`; otherwise throws 401 or 403. */
export function authorize(cred: Credential, role: Role): Auth {
  if (cred.auth === null) throw new ApiError("UNAUTHORIZED", FAILURE_MESSAGES[cred.failure]);
  if (role === "admin" && cred.auth.role !== "admin") {
    throw new ApiError("FORBIDDEN", `this operation needs an admin key; key "${cred.auth.keyId}" has role read`);
  }
  return cred.auth;
}
