import { CodedError, type ErrorKind } from "../../core/index.ts";
// The one typed error of the jobs layer; api/http/errors.ts maps it to HTTP statuses.
export type JobErrorCode = "JOB_NOT_FOUND" | "CONFLICT" | "UNAVAILABLE";

/** A jobs request that cannot be done as asked. */
export class JobError extends CodedError<JobErrorCode> {
  override readonly name = "JobError";
  get kind(): ErrorKind {
    return this.code === "JOB_NOT_FOUND" ? "missing" : this.code === "CONFLICT" ? "conflict" : "unavailable";
  }
}
