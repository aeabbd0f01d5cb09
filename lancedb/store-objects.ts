// The seam between Vitrine's few object operations beside LanceDB (small records, leases, model
// files, store images) and the store a URI names: one interface, an S3 implementation
// (s3-objects.ts), an Azure Blob one (azure-objects.ts) and a Google Cloud Storage one
// (gcs-objects.ts). All give the same conditional write (create only if absent; replace only the
// version read), which the leases rely on, and all send
// every request through object-requests.ts: bounded in time (VITRINE_STORE_TIMEOUT_MS), retried a
// bounded number of times, and a retried conditional write that had landed reads as landed.
import { AzureObjects } from "./azure-objects.ts";
import { GcsObjects } from "./gcs-objects.ts";
import { S3Objects } from "./s3-objects.ts";
import type { StoreUri } from "./store-location.ts";

/** An object read back. */
export interface StoredObject {
  /** Body as text. */
  text: string;
  /** The version a conditional write names (what `{ ifMatch }` takes): the ETag, quotes included, on S3 and Azure; the object's generation (a decimal number) on GCS. */
  etag: string;
  /** Seconds since the object was last written, at least, by the store's own clock (Date − Last-Modified less their one-second resolution), so no host's clock matters. */
  ageSeconds: number;
}

/** A PUT's precondition: create only (If-None-Match: *; GCS: generation match 0), replace only that version (If-Match; GCS: that generation), or none. */
export type PutCondition = { ifNoneMatch: "*" } | { ifMatch: string } | Record<string, never>;

/** Objects under one store URI's prefix (names are relative to it). */
export interface StoreObjects {
  /** The store location. */
  readonly loc: StoreUri;
  /** Read `name`, or null when there is none. */
  get(name: string): Promise<StoredObject | null>;
  /** The bytes of `name`, or null when there is none (model files). */
  getBytes(name: string): Promise<Uint8Array | null>;
  /** The bytes of `name` when it holds at most `maxBytes`; null when there is none, "too large" (the read stopped there) past it. */
  getBytesUpTo(name: string, maxBytes: number): Promise<Uint8Array | null | "too large">;
  /** Write `name`; returns the new version (ETag, or GCS's generation), or null when the condition did not hold (another writer got there first; not our own earlier attempt whose answer was lost). */
  put(name: string, body: string | Uint8Array, cond?: PutCondition): Promise<string | null>;
  /** The names directly under folder `dir` (objects and sub-folders, by name), sorted; at most `max`. */
  list(dir: string, max?: number): Promise<string[]>;
  /** Delete `name` (no error when it is absent). */
  delete(name: string): Promise<void>;
}

/** The objects of a parsed store URI, reached with the credentials of the environment. */
export function storeObjects(loc: StoreUri, env: Record<string, string | undefined> = process.env): StoreObjects {
  switch (loc.scheme) {
    case "az":
      return new AzureObjects(loc, env);
    case "gs":
      return new GcsObjects(loc, env);
    default:
      return new S3Objects(loc, env);
  }
}
