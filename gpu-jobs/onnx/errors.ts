// The typed error of the ONNX export: a code and a message a person can act on.
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
export class ExportError extends Error {
  override readonly name = "ExportError";
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    readonly parity: ParityResult | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
