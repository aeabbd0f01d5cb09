// How held-out clicks are chosen (DESIGN §8). A click log repeats (query, item) pairs, so a random
// split of rows leaves most held-out pairs in training and the eval then rewards memorising. The
// default holds out whole pairs: every row of a held-out pair goes to eval, none to training.
import { murmur3 } from "./murmur3.ts";

/** How import splits a click log into training and held-out rows. */
export type SplitMode = "pair" | "time" | "row";

/** Every split mode, for flag validation and help text. */
export const SPLIT_MODES: readonly SplitMode[] = ["pair", "time", "row"];

/** Whether the (query terms, item) pair is held out: a seeded hash, so re-imports and generators agree. */
export function pairHeldOut(terms: string, itemId: string, seed: number, fraction: number): boolean {
  return murmur3(`${terms}\u0000${itemId}`, seed) / 2 ** 32 < fraction;
}

/** Whether one row is held out under the row split (today's behaviour before pair splits, kept for comparison). */
export function rowHeldOut(line: number, terms: string, itemId: string, seed: number, fraction: number): boolean {
  return murmur3(`${line}\u0000${terms}\u0000${itemId}`, seed) / 2 ** 32 < fraction;
}

/** The time split's cut-off: rows at or after it are held out (the latest `fraction` of timestamped rows); null when none. */
export function timeCutoff(timestamps: readonly number[], fraction: number): number | null {
  if (timestamps.length === 0 || fraction <= 0) return null;
  const sorted = Float64Array.from(timestamps).sort();
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor(sorted.length * (1 - fraction))));
  return sorted[i]!;
}

// A fixed salt, independent of the split seed: the tuning/test halves of a held-out set stay the
// same whichever seed chose the held-out pairs.
const TUNING_SALT = 0x7475_6e65;

/**
 * Whether a held-out pair belongs to the tuning half (the channel blend is fitted on it); the other
 * half is what eval and the retrain gate score, so the blend is never measured on what fitted it.
 */
export function tuningPair(terms: string, itemId: string): boolean {
  return (murmur3(`${terms}\u0000${itemId}`, TUNING_SALT) & 1) === 0;
}
