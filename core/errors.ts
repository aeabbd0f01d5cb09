/** Error codes the core layer raises; each maps to a 4xx at the API. */
export type CoreErrorCode = "INVALID_INPUT" | "INVALID_FILTER" | "SEGMENTER_UNAVAILABLE";

/** The one typed error of the core layer: a code, the offending field, and a message that says the fix. */
export class CoreError extends Error {
  override readonly name = "CoreError";
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    /** Dotted path of the offending field, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
  }
}
