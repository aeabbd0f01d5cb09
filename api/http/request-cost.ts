// What one call costs its key's rate limit, in tokens: one plain retrieve's work each. The gate
// takes one token per call before the body is read (gate.ts); once the input is valid, a call
// that asks for more than a plain retrieve is charged the rest here, before any work. So a key's
// allowance (50 tokens/s by default) bounds the server time it can take, not just its requests:
// plain calls keep their 50/s, the largest k with the largest filter gets 10/s.
//
// The weights come from bench/hostile.ts at 100k items (BENCHMARKS.md, "hostile"): against a plain
// retrieve that misses its precomputed list (k = 50), k = 1000 costs 1.5–1.8× the server CPU, the
// largest filter (128 nodes, 1,000 values) 1.5×, both 2.1×; each part is charged about twice what
// it measured.
import type { FilterExpr } from "../../core/index.ts";

/** The cost model: what each part of a retrieve adds to its one token. */
export const RETRIEVE_COST = {
  /** Items asked for beyond this are charged... */
  freeK: 100,
  /** ...one token per this many (k = 1000: +2). */
  kPerToken: 450,
  /** Filter nodes beyond this are charged... */
  freeNodes: 16,
  /** ...one token per this many (128 nodes: +1). */
  nodesPerToken: 112,
  /** Filter values beyond this are charged... */
  freeValues: 100,
  /** ...one token per this many (1,000 values: +1). */
  valuesPerToken: 900,
} as const;

/** Nodes and values of a filter tree. */
export function filterSize(expr: FilterExpr): { nodes: number; values: number } {
  let nodes = 0;
  let values = 0;
  const stack: FilterExpr[] = [expr];
  while (stack.length > 0) {
    const e = stack.pop()!;
    nodes++;
    if (e.op === "eq") values++;
    else if (e.op === "in") values += e.values.length;
    else if (e.op === "and" || e.op === "or") stack.push(...e.filters);
    else if (e.op === "not") stack.push(e.filter);
  }
  return { nodes, values };
}

/** Tokens a valid retrieve (or similar) call costs (1 for a plain one, at most 5); a page's window is offset + k items. */
export function retrieveCost(input: { k: number; offset?: number; filters?: FilterExpr | null }): number {
  const c = RETRIEVE_COST;
  const window = input.k + (input.offset ?? 0);
  const { nodes, values } = input.filters ? filterSize(input.filters) : { nodes: 0, values: 0 };
  const over = (x: number, free: number, per: number) => Math.max(0, x - free) / per;
  return 1 + over(window, c.freeK, c.kPerToken) + over(nodes, c.freeNodes, c.nodesPerToken) + over(values, c.freeValues, c.valuesPerToken);
}
