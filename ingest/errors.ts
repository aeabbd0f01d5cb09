/** Error codes of the import layer. */
export type ImportErrorCode = "SOURCE_MISSING" | "UNSUPPORTED_FORMAT" | "SOURCE_UNREADABLE" | "BAD_OPTION";

/** The one typed error of the import layer: something that stops the whole import (bad rows never do). */
export class ImportError extends Error {
  override readonly name = "ImportError";
  constructor(
    readonly code: ImportErrorCode,
    message: string,
  ) {
    super(message);
  }
}
