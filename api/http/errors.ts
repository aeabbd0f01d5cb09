// The one error vocabulary of the HTTP layer. Every failure, REST or tRPC, passes through
// `toApiError` so a code always means the same status and the same body shape.
import { z } from "zod";
import { HTTPException } from "hono/http-exception";
import { TRPCError } from "@trpc/server";
import { CodedError, CoreError, formatIssues, zodIssues, type ErrorKind, type FieldIssue } from "../../core/index.ts";

/** HTTP status of every error code the API sends. */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  INVALID_FILTER: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  ITEM_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NO_RELEASE: 503,
  UNAVAILABLE: 503,
  SEGMENTER_UNAVAILABLE: 503,
} as const;

/** A code the API puts in `error.code`. */
export type ApiErrorCode = keyof typeof ERROR_STATUS;

/** The `error` object of every REST error body (and the `data` of every tRPC error). */
export interface ErrorBody {
  /** Stable machine-readable code (see ERROR_STATUS). */
  code: ApiErrorCode;
  /** What went wrong and what to do about it. */
  message: string;
  /** Per-field problems, for validation errors. */
  issues?: FieldIssue[];
  /** The request id, also sent as the x-request-id header; quote it when reporting a problem. */
  requestId: string;
}

// Hostile input can produce thousands of issues; a client needs the first few to act.
const MAX_ISSUES = 20;
const MAX_MESSAGE = 1_000;

/** An error the API answers with: a code, its status, and a message safe to show a client. */
export class ApiError extends CodedError<ApiErrorCode> {
  override readonly name = "ApiError";
  readonly status: number;
  constructor(
    code: ApiErrorCode,
    message: string,
    readonly extra: {
      /** Per-field problems. */
      issues?: FieldIssue[];
      /** Seconds to wait before retrying (rate limit). */
      retryAfter?: number;
      /** The original error, for the server log only (never sent). */
      internal?: unknown;
    } = {},
  ) {
    super(code, message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
    this.status = ERROR_STATUS[code];
  }

  get kind(): ErrorKind {
    const s = this.status;
    return s === 404 ? "missing" : s === 409 ? "conflict" : s === 429 || s === 503 ? "unavailable" : s >= 500 ? "internal" : s === 401 || s === 403 ? "usage" : "input";
  }

  /** The client-facing body for this error. */
  body(requestId: string): ErrorBody {
    const issues = this.extra.issues;
    return { code: this.code, message: this.message, ...(issues && issues.length > 0 ? { issues } : {}), requestId };
  }
}

/** Turn a zod validation failure into INVALID_INPUT, or INVALID_FILTER when the filters are to blame. */
export function fromZodError(error: z.core.$ZodError): ApiError {
  const issues = zodIssues(error as z.ZodError).slice(0, MAX_ISSUES);
  const code = issues.length > 0 && issues.every((i) => i.field === "filters" || i.field.startsWith("filters.")) ? "INVALID_FILTER" : "INVALID_INPUT";
  return new ApiError(code, formatIssues(issues) || "invalid input", { issues });
}

const NOT_JSON = "request body is not JSON; send a JSON object with Content-Type: application/json";

/** Map anything thrown anywhere in a request to the ApiError the client gets. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.core.$ZodError) return fromZodError(err);
  if (err instanceof CodedError) return fromCodedError(err);
  if (err instanceof TRPCError) return fromTrpcError(err);
  if (err instanceof HTTPException) return fromHttpException(err);
  return internalError(err);
}

// A layer's code the API does not send as itself goes out as its kind's code.
const KIND_CODES: Record<ErrorKind, ApiErrorCode> = {
  usage: "BAD_REQUEST",
  input: "BAD_REQUEST",
  missing: "NOT_FOUND",
  conflict: "CONFLICT",
  unavailable: "UNAVAILABLE",
  internal: "INTERNAL",
};

/** Any layer's typed error: its own code when the API sends it, else by its kind (one mapping for every layer). */
function fromCodedError(err: CodedError): ApiError {
  const own = Object.hasOwn(ERROR_STATUS, err.code) ? (err.code as ApiErrorCode) : null;
  const code = own ?? KIND_CODES[err.kind];
  // Unavailable dependencies and internal failures keep their cause for the log only.
  if (code === "INTERNAL") return internalError(err);
  const issues = err instanceof CoreError && err.field !== undefined ? { issues: [{ field: err.field, message: err.message }] } : {};
  return new ApiError(code, err.message, { ...issues, ...(err.kind === "unavailable" ? { internal: err } : {}) });
}

/** A 500 whose message says nothing about the cause; the cause goes to the log. */
export function internalError(cause: unknown): ApiError {
  return new ApiError("INTERNAL", "internal error; the server logged it — quote the requestId when reporting it", { internal: cause });
}

function fromTrpcError(err: TRPCError): ApiError {
  // Errors raised inside procedures arrive wrapped; the cause says what really happened.
  if (err.cause !== undefined && err.cause !== err && !(err.cause instanceof TRPCError)) {
    const cause = err.cause;
    if (cause instanceof ApiError || cause instanceof z.core.$ZodError || cause instanceof CodedError) {
      return toApiError(cause);
    }
  }
  // tRPC reports JSON it cannot parse (the ?input= of a GET, a POST body) as PARSE_ERROR or as
  // BAD_REQUEST caused by a SyntaxError, depending on where it failed.
  if (err.cause instanceof SyntaxError) {
    return new ApiError("INVALID_JSON", `the tRPC input is not JSON (${err.cause.message.slice(0, 160)}); send JSON in ?input= or the body`);
  }
  switch (err.code) {
    case "PARSE_ERROR":
      return new ApiError("INVALID_JSON", `${NOT_JSON} (tRPC: the input is not valid JSON)`);
    case "BAD_REQUEST":
      // tRPC's own request errors (missing input, batching) carry messages it wrote, not our data.
      return new ApiError("INVALID_INPUT", err.message || "invalid tRPC request");
    case "NOT_FOUND":
      return new ApiError("NOT_FOUND", `${err.message}; see the AppRouter type or /v1/openapi.json for the operations`);
    case "METHOD_NOT_SUPPORTED":
      return new ApiError("METHOD_NOT_ALLOWED", "wrong HTTP method for this tRPC procedure: queries use GET (or POST with method override), mutations POST");
    case "PAYLOAD_TOO_LARGE":
      return new ApiError("PAYLOAD_TOO_LARGE", err.message);
    case "UNAUTHORIZED":
      return new ApiError("UNAUTHORIZED", err.message);
    case "FORBIDDEN":
      return new ApiError("FORBIDDEN", err.message);
    case "TOO_MANY_REQUESTS":
      return new ApiError("RATE_LIMITED", err.message);
    case "UNSUPPORTED_MEDIA_TYPE":
      return new ApiError("UNSUPPORTED_MEDIA_TYPE", "send tRPC calls with Content-Type: application/json");
    case "INTERNAL_SERVER_ERROR":
    case "NOT_IMPLEMENTED":
    case "BAD_GATEWAY":
    case "SERVICE_UNAVAILABLE":
    case "GATEWAY_TIMEOUT":
      return internalError(err.cause ?? err);
    default:
      // The remaining codes are request problems tRPC itself detected (timeouts, conflicts, ...).
      return new ApiError("INVALID_INPUT", err.message || `invalid tRPC request (${err.code})`);
  }
}

function fromHttpException(err: HTTPException): ApiError {
  if (err.status === 413) return new ApiError("PAYLOAD_TOO_LARGE", "request body is too large");
  if (err.status === 404) return new ApiError("NOT_FOUND", "not found");
  // Hono's validators raise 400 "Malformed JSON in request body".
  if (err.status === 400) return new ApiError(/json/i.test(err.message) ? "INVALID_JSON" : "INVALID_INPUT", /json/i.test(err.message) ? NOT_JSON : err.message);
  if (err.status === 401) return new ApiError("UNAUTHORIZED", err.message || "unauthorized");
  if (err.status === 403) return new ApiError("FORBIDDEN", err.message || "forbidden");
  return internalError(err);
}

/** tRPC's code for each status we send (tRPC derives the HTTP status back from it). */
export function trpcCodeFor(status: number): TRPCError["code"] {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "CONFLICT";
    case 405:
      return "METHOD_NOT_SUPPORTED";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "TOO_MANY_REQUESTS";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return "INTERNAL_SERVER_ERROR";
  }
}

/** JSON-RPC numeric code for a tRPC code, for error bodies we write outside tRPC's handler. */
export const JSONRPC_CODE: Record<string, number> = {
  BAD_REQUEST: -32600,
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  METHOD_NOT_SUPPORTED: -32005,
  PAYLOAD_TOO_LARGE: -32013,
  UNSUPPORTED_MEDIA_TYPE: -32015,
  TOO_MANY_REQUESTS: -32029,
  SERVICE_UNAVAILABLE: -32603,
  INTERNAL_SERVER_ERROR: -32603,
};
