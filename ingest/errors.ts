import { CodedError, type ErrorKind } from "../core/index.ts";

/** Error codes of the import layer. */
export type ImportErrorCode =
  | "SOURCE_MISSING"
  | "UNSUPPORTED_FORMAT"
  | "SOURCE_UNREADABLE"
  | "BAD_OPTION"
  /** The catalog lacks a required column (id, title), even after --map. */
  | "MISSING_COLUMNS"
  /** Rows were read but none was importable. */
  | "NOTHING_IMPORTED";

const KINDS: Record<ImportErrorCode, ErrorKind> = {
  SOURCE_MISSING: "missing",
  UNSUPPORTED_FORMAT: "input",
  SOURCE_UNREADABLE: "input",
  BAD_OPTION: "usage",
  MISSING_COLUMNS: "input",
  NOTHING_IMPORTED: "input",
};

/** The one typed error of the import layer: something that stops the whole import (bad rows never do). */
export class ImportError extends CodedError<ImportErrorCode> {
  override readonly name = "ImportError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}
