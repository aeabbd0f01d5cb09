/** Error codes of the training jobs; each names what to fix. */
export type TrainErrorCode =
  /** A requested TF.js backend is not installed or failed to initialise. */
  | "BACKEND_UNAVAILABLE"
  /** The data directory holds no usable catalog or click pairs. */
  | "NO_TRAINING_DATA"
  /** A checkpoint (or saved tokenizer) is missing, truncated or of an unknown format. */
  | "BAD_CHECKPOINT"
  /** A config value or option is out of range. */
  | "BAD_CONFIG";

/** The one typed error of gpu-jobs: a code and a message a person can act on. */
export class TrainError extends Error {
  override readonly name = "TrainError";
  constructor(
    readonly code: TrainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
