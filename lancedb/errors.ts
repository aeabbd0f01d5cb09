import { CodedError, type ErrorKind } from "../core/index.ts";

/** Error codes of the store layer. */
export type StoreErrorCode =
  | "STORE_MISSING"
  | "TABLE_MISSING"
  | "IMPORT_INCOMPLETE"
  /** `vitrine embed` has not completed in the data directory (publish --encoder onnx needs its vectors). */
  | "EMBEDDINGS_INCOMPLETE"
  /** The embeddings were made with another exported model than the one being published. */
  | "EMBEDDINGS_STALE"
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
  | "RELEASE_CONFLICT"
  /** `vitrine embed --merge-shards`: a shard has no output or did not finish. */
  | "EMBED_SHARDS_INCOMPLETE"
  /** `vitrine embed --merge-shards`: the shards were made with different models, imports or batch sizes. */
  | "EMBED_SHARDS_MISMATCH"
  /** Another live writer (publish, activate, rollback, gc, embed merge) holds the data directory's writer lease. */
  | "WRITER_BUSY"
  /** Another live job manager (an API with jobs on, `vitrine retrain`) runs this data directory's jobs. */
  | "JOBS_BUSY"
  /** This writer's lease was taken over mid-write (its heartbeat stalled past the ttl). */
  | "WRITER_LOST"
  /** The object store (s3://, az://, gs://) refused or failed a request: credentials, bucket or container, endpoint or network. */
  | "STORE_UNAVAILABLE";

const KINDS: Record<StoreErrorCode, ErrorKind> = {
  STORE_MISSING: "missing",
  TABLE_MISSING: "missing",
  IMPORT_INCOMPLETE: "missing",
  EMBEDDINGS_INCOMPLETE: "missing",
  EMBEDDINGS_STALE: "conflict",
  RELEASE_MISSING: "missing",
  RELEASE_INCOMPLETE: "missing",
  NO_ACTIVE_RELEASE: "missing",
  NO_PREVIOUS_RELEASE: "missing",
  BAD_VECTORS: "input",
  BAD_OPTION: "usage",
  RELEASE_CONFLICT: "conflict",
  EMBED_SHARDS_INCOMPLETE: "missing",
  EMBED_SHARDS_MISMATCH: "conflict",
  WRITER_BUSY: "conflict",
  WRITER_LOST: "conflict",
  JOBS_BUSY: "conflict",
  STORE_UNAVAILABLE: "unavailable",
};

/** The one typed error of the store layer. */
export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = "StoreError";
  get kind(): ErrorKind {
    return KINDS[this.code];
  }
}
