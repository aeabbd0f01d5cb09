// Structural limits checked before schema validation: validators and filter compilers recurse,
// so a body nested thousands of levels deep (a few KB of JSON) would overflow the stack and
// surface as a 500. Checked iteratively here, it is a 400 that says what to change.
import { ApiError } from "./errors.ts";

/** Deepest nesting of arrays/objects accepted in any input (filters need far less). */
export const MAX_INPUT_DEPTH = 64;

/** Throw INVALID_INPUT when `value` nests deeper than `maxDepth` levels. */
export function assertInputDepth(value: unknown, maxDepth = MAX_INPUT_DEPTH): void {
  if (typeof value !== "object" || value === null) return;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > maxDepth) {
      throw new ApiError("INVALID_INPUT", `input nests deeper than ${maxDepth} levels; flatten it (filters combine with and/or lists, not deep chains)`);
    }
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push([c, depth + 1]);
  }
}

/**
 * Most JSON values one call's input may hold, counted before it is parsed. Parsing costs per value
 * (a 600 KB body of 64,000 short strings takes ~12 ms to parse here, more than any answer), and no
 * valid input comes near: a retrieve's filter holds at most 1,000 values in 128 nodes, items.get at
 * most 1,000 ids. A tRPC batch may hold this many per call.
 */
export const MAX_JSON_VALUES = 8_192;

/**
 * Throw INVALID_INPUT when `text` holds more than `max` JSON values, without parsing it: counts the
 * commas, brackets and braces outside strings (strings are skipped natively) and stops at the first
 * one too many, so an oversized document is refused after a few dozen KB of scanning.
 */
export function assertJsonValueCount(text: string, max = MAX_JSON_VALUES): void {
  let n = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip to the closing quote: the next quote not escaped by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return; // unterminated: JSON.parse says so
        let b = 0;
        while (text.charCodeAt(j - 1 - b) === 92 /* \ */) b++;
        if (b % 2 === 0) break;
      }
      i = j;
    } else if (c === 44 /* , */ || c === 91 /* [ */ || c === 123 /* { */) {
      if (++n > max) {
        throw new ApiError("INVALID_INPUT", `input holds more than ${max} JSON values; no valid input needs that many (a filter takes at most 1000 values, items.get 1000 ids): send less`);
      }
    }
  }
}
