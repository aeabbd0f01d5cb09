// The typed error of the ONNX export: a code and a message a person can act on.
import { CodedError, type ErrorKind } from "../../core/index.ts";
import type { ParityResult } from "./parity.ts";

/** Why an export failed. */
export type ExportErrorCode =
  /** TF.js and onnxruntime disagree beyond the tolerance: the graphs do not mirror the model. */
  | "PARITY_FAILED"
  /** onnxruntime rejected a built graph (a builder bug, or an edited file). */
  | "GRAPH_INVALID"
  /** The run folder has no complete checkpoint or no tokenizer.json. */
  | "BAD_RUN_DIR";

/** An export failure; `parity` holds the measured differences when the parity check failed. */
export class ExportError extends CodedError<ExportErrorCode> {
  override readonly name = "ExportError";
  constructor(
    code: ExportErrorCode,
    message: string,
    readonly parity: ParityResult | null = null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
  get kind(): ErrorKind {
    return this.code === "BAD_RUN_DIR" ? "missing" : "internal";
  }
}
