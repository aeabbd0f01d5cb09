/** Error codes of the store layer. */
export type StoreErrorCode = "STORE_MISSING" | "TABLE_MISSING" | "IMPORT_INCOMPLETE" | "RELEASE_MISSING" | "RELEASE_INCOMPLETE";

/** The one typed error of the store layer. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
