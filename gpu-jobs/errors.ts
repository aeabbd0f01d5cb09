import { CodedError, type ErrorKind } from "../core/index.ts";

/** Error codes of the training jobs; each names what to fix. */
export type TrainErrorCode =
  /** A requested TF.js backend is not installed or failed to initialise. */
  | "BACKEND_UNAVAILABLE"
  /** The data directory holds no usable catalog or click pairs. */
  | "NO_TRAINING_DATA"
  /** A checkpoint (or saved tokenizer) is missing, truncated or of an unknown format. */
  | "BAD_CHECKPOINT"
  /** A config value or option is out of range. */
  | "BAD_OPTION"
  /** A remote service the job talks to (a running API under evaluation) failed or refused. */
  | "REMOTE_FAILED";

const KINDS: Record<TrainErrorCode, ErrorKind> = { BACKEND_UNAVAILABLE: "unavailable", NO_TRAINING_DATA: "missing", BAD_CHECKPOINT: "input", BAD_OPTION: "usage", REMOTE_FAILED: "unavailable" };

/** The one typed error of gpu-jobs: a code and a message a person can act on. */
export class TrainError extends CodedError<TrainErrorCode> {
  override readonly name = "TrainError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}
