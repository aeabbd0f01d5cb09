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
