// The one usage error of every verb: the command line is wrong. Exit code 2 (EXIT_CODES.usage).
import { CodedError, type ErrorKind } from "../errors.ts";

/** What is wrong with the command line. */
export type UsageErrorCode =
  /** The first word is not a verb. */
  | "UNKNOWN_VERB"
  /** A flag the verb does not have. */
  | "UNKNOWN_FLAG"
  /** A flag's value is wrong (type, range, choice), or the flag does not apply here. */
  | "BAD_FLAG"
  /** A required flag is absent. */
  | "MISSING_FLAG"
  /** A positional word is wrong, missing or unexpected (sub-verb, release id, job kind). */
  | "BAD_ARGUMENT";

/** The command line is wrong; the message names the flag or word and says the fix. */
export class UsageError extends CodedError<UsageErrorCode> {
  override readonly name = "UsageError";
  get kind(): ErrorKind {
    return "usage";
  }
}
