// The SDK's one error type: every failed call rejects with a VitrineError carrying the server's
// code, the HTTP status and the field issues, whatever went wrong on the way.
import { TRPCClientError } from "@trpc/client";
import type { ErrorData, FieldIssueData } from "./types.ts";

/** A failed Vitrine call. */
export class VitrineError extends Error {
  override readonly name = "VitrineError";
  /** The server's error code (INVALID_INPUT, UNAUTHORIZED, RATE_LIMITED, ...), or NETWORK_ERROR / BAD_RESPONSE when no Vitrine answer came. */
  readonly code: string;
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  /** Per-field problems, for validation errors. */
  readonly issues: FieldIssueData[];
  /** The server's request id, to quote when reporting a problem. */
  readonly requestId: string | null;
  /** For RATE_LIMITED: seconds to wait before retrying. */
  readonly retryAfter: number | null;

  constructor(message: string, opts: { code: string; status: number; issues?: FieldIssueData[]; requestId?: string | null; retryAfter?: number | null; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.status = opts.status;
    this.issues = opts.issues ?? [];
    this.requestId = opts.requestId ?? null;
    this.retryAfter = opts.retryAfter ?? null;
  }
}

function header(meta: Record<string, unknown> | undefined, name: string): string | null {
  const res = meta?.response;
  return res instanceof Response ? res.headers.get(name) : null;
}

/** Turn whatever a tRPC call threw into a VitrineError. */
export function toVitrineError(err: unknown): VitrineError {
  if (err instanceof VitrineError) return err;
  if (err instanceof TRPCClientError) {
    const data = err.data as Partial<ErrorData> | null | undefined;
    const meta = err.meta;
    const requestId = data?.requestId || header(meta, "x-request-id");
    if (data && typeof data.code === "string") {
      return new VitrineError(err.message, {
        code: data.code,
        status: data.httpStatus ?? 0,
        issues: data.issues ?? [],
        requestId,
        retryAfter: data.retryAfter ?? null,
        cause: err,
      });
    }
    const res = meta?.response;
    if (res instanceof Response) {
      return new VitrineError(`unexpected response from the server (HTTP ${res.status}): ${err.message}`, { code: "BAD_RESPONSE", status: res.status, requestId, cause: err });
    }
    return new VitrineError(`could not reach the Vitrine API: ${err.message}`, { code: "NETWORK_ERROR", status: 0, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new VitrineError(`could not reach the Vitrine API: ${message}`, { code: "NETWORK_ERROR", status: 0, cause: err });
}
