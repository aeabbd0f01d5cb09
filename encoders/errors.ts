import { CodedError, type ErrorKind } from "../core/index.ts";

/** Error codes of the tokenizer's encode side (the codes gpu-jobs' TrainError used for them before it moved here). */
export type TokenizerErrorCode =
  /** A saved tokenizer is missing, truncated or of an unknown format. */
  | "BAD_CHECKPOINT"
  /** An encode option is out of range. */
  | "BAD_OPTION";

/** The tokenizer's typed error: a code and a message a person can act on (encoders may not import gpu-jobs' TrainError). */
export class TokenizerError extends CodedError<TokenizerErrorCode> {
  override readonly name = "TokenizerError";
  get kind(): ErrorKind {
    return this.code === "BAD_OPTION" ? "usage" : "input";
  }
}

/** A release names an encoder this process cannot rebuild. */
export class EncoderUnavailableError extends CodedError<"ENCODER_UNAVAILABLE"> {
  override readonly name = "EncoderUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENCODER_UNAVAILABLE", message, options);
  }
  get kind(): ErrorKind {
    return "unavailable";
  }
}
