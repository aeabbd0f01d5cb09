/** Error codes of the tokenizer's encode side (the codes gpu-jobs' TrainError used for them before it moved here). */
export type TokenizerErrorCode =
  /** A saved tokenizer is missing, truncated or of an unknown format. */
  | "BAD_CHECKPOINT"
  /** An encode option is out of range. */
  | "BAD_CONFIG";

/** The tokenizer's typed error: a code and a message a person can act on (encoders may not import gpu-jobs' TrainError). */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
