// The Hono environment of the app: what middleware puts on the context for handlers.
import type { Auth, Credential } from "./auth.ts";
import type { Redactor } from "./redact.ts";

/** Hono `Env` of the Vitrine app. */
export interface AppEnv {
  Variables: {
    /** Request id (x-request-id, echoed or generated). */
    requestId: string;
    /** The request's credentials. */
    credential: Credential;
    /** Route pattern for metrics; bounded cardinality. */
    route: string;
    /** The caller the gate admitted (null on public routes without a key). */
    auth: Auth | null;
    /** Set when the client went away before its answer (recorded as 499). */
    clientGone: boolean;
    /** What every answer passes through on its way out: absolute image links, server paths rewritten. */
    present: Redactor;
    /** Charge a call's cost in tokens to the caller's key, once its input is valid (gate.ts chargeCall). */
    charge: (tokens: number) => void;
  };
}
