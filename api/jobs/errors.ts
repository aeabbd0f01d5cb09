// The one typed error of the jobs layer; api/http/errors.ts maps it to HTTP statuses.
export type JobErrorCode = "JOB_NOT_FOUND" | "CONFLICT" | "UNAVAILABLE";

/** A jobs request that cannot be done as asked. */
export class JobError extends Error {
  override readonly name = "JobError";
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}
