import { ClickSchema, ItemSchema, JudgmentSchema, queryId, zodIssues, formatIssues, type Click, type Item, type Judgment } from "../core/index.ts";
import type { z } from "zod";

/** A validated value, or the reason and field that rejected it. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; field?: string };

function check<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): Checked<z.output<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issues = zodIssues(r.error);
  return { ok: false, reason: formatIssues(issues), field: issues[0]?.field || undefined };
}

/** Validate a catalog row; normalises -0 prices (the store orders floats totally). */
export function checkItem(raw: Record<string, unknown>): Checked<Item> {
  const r = check(ItemSchema, raw);
  if (r.ok && r.value.price === 0) r.value.price = 0;
  return r;
}

/** A click row with its qid and canonical terms. */
export type CheckedClick = Click & { qid: number; terms: string };

/** Validate a click row and compute its qid; a query with no searchable terms is rejected. */
export function checkClick(raw: Record<string, unknown>, knownItems: ReadonlySet<string>): Checked<CheckedClick> {
  const r = check(ClickSchema, raw);
  if (!r.ok) return r;
  if (!knownItems.has(r.value.item_id)) {
    return { ok: false, field: "item_id", reason: `item_id ${JSON.stringify(r.value.item_id)} is not in the imported catalog (missing or rejected there); fix the catalog or drop the click` };
  }
  const { qid, terms } = queryId(r.value.query);
  if (terms.length === 0) return { ok: false, field: "query", reason: "query has no searchable terms after normalisation (only punctuation or symbols)" };
  return { ok: true, value: { ...r.value, qid, terms } };
}

/** Validate a judgment row against the catalog. */
export function checkJudgment(raw: Record<string, unknown>, knownItems: ReadonlySet<string>): Checked<Judgment & { qid: number; terms: string }> {
  const r = check(JudgmentSchema, raw);
  if (!r.ok) return r;
  if (!knownItems.has(r.value.item_id)) return { ok: false, field: "item_id", reason: `item_id ${JSON.stringify(r.value.item_id)} is not in the imported catalog` };
  return { ok: true, value: { ...r.value, ...queryId(r.value.query) } };
}
