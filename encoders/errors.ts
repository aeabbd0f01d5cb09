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

/** Error codes of a bring-your-own image backbone (`--image-encoder FILE.onnx` and its FILE.json). */
export type BackboneErrorCode =
  /** The backbone's JSON is invalid, or the ONNX model does not take or give what the JSON declares. */
  | "BAD_BACKBONE"
  /** The .onnx file or the .json beside it is not there. */
  | "BACKBONE_MISSING"
  /** The backbone given is not the one the run or model was trained with (or the run used none). */
  | "BACKBONE_MISMATCH";

const BACKBONE_KINDS: Record<BackboneErrorCode, ErrorKind> = { BAD_BACKBONE: "input", BACKBONE_MISSING: "missing", BACKBONE_MISMATCH: "conflict" };

/** An image backbone problem: the message names the file or JSON field and the fix. */
export class BackboneError extends CodedError<BackboneErrorCode> {
  override readonly name = "BackboneError";
  get kind(): ErrorKind {
    return BACKBONE_KINDS[this.code];
  }
}
