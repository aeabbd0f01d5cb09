/** Error codes of the store layer. */
export type StoreErrorCode =
  | "STORE_MISSING"
  | "TABLE_MISSING"
  | "IMPORT_INCOMPLETE"
  /** `vitrine embed` has not completed in the data directory (publish --encoder onnx needs its vectors). */
  | "EMBEDDINGS_INCOMPLETE"
  | "RELEASE_MISSING"
  | "RELEASE_INCOMPLETE"
  /** No release has been activated yet (publish one first). */
  | "NO_ACTIVE_RELEASE"
  /** Rollback asked for but the pointer names no previous release, or it was garbage-collected. */
  | "NO_PREVIOUS_RELEASE"
  /** Item vectors disagree with the catalog or the encoder (dimension, missing ids, non-finite values). */
  | "BAD_VECTORS"
  /** A publish option is out of range. */
  | "BAD_OPTION"
  /** Another publish claimed the same release id at the same time. */
  | "RELEASE_CONFLICT";

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
