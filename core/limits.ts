/** Size limits on user data: past these a row is rejected rather than silently truncated. */
export const LIMITS = {
  idLength: 256,
  titleLength: 1_000,
  brandLength: 200,
  categoryLength: 500,
  imageLength: 2_048,
  attributeCount: 64,
  attributeKeyLength: 64,
  attributeValueLength: 500,
  queryLength: 500,
  maxK: 1_000,
  /** Hard ceiling of a result window (offset + k); a server configures its own window at or below it (default 1000). */
  maxWindow: 10_000,
  /** Longest pagination cursor accepted. */
  cursorLength: 512,
  /** Deepest nesting of filter nodes (and/or/not chains). */
  filterDepth: 8,
  /** Values across the whole filter tree (every in-list and eq together). */
  filterValues: 1_000,
  /** Objects (filter nodes) across the whole filter tree. */
  filterNodes: 128,
} as const;

/** Attribute keys become column names in the store, so only this alphabet is accepted. */
export const ATTRIBUTE_KEY = /^[a-z][a-z0-9_]{0,63}$/;
