import { z } from "zod";
import { ATTRIBUTE_KEY, LIMITS } from "./limits.ts";

/** A field a filter may test: a column of the store or one item attribute. */
export type FilterField = "brand" | "category" | "price" | `attributes.${string}`;
/** A value a filter compares with: strings for text fields, numbers for price. */
export type FilterValue = string | number;

/** The filter expression tree every filter compiles from (SQL and JS alike). */
export type FilterExpr =
  | { op: "eq"; field: FilterField; value: FilterValue }
  | { op: "in"; field: FilterField; values: FilterValue[] }
  | { op: "range"; field: FilterField; gte?: number; gt?: number; lte?: number; lt?: number }
  | { op: "and"; filters: FilterExpr[] }
  | { op: "or"; filters: FilterExpr[] }
  | { op: "not"; filter: FilterExpr };

const FIELD_HELP = `use "brand", "category", "price" or "attributes.<key>"`;

const field = z
  .string({ error: `field must be a string; ${FIELD_HELP}` })
  .refine((f) => f === "brand" || f === "category" || f === "price" || (f.startsWith("attributes.") && ATTRIBUTE_KEY.test(f.slice(11))), {
    error: (iss) => `unknown filter field ${JSON.stringify(iss.input)}; ${FIELD_HELP}`,
  })
  .transform((f) => f as FilterField);

// Lone surrogates cannot round-trip through UTF-8 (the store's encoding), so SQL and JS would disagree.
const textValue = z
  .string()
  .max(LIMITS.attributeValueLength, { error: `filter values are at most ${LIMITS.attributeValueLength} characters` })
  .refine((s) => s.isWellFormed(), { error: "filter value is not well-formed Unicode (lone surrogate)" });
const numValue = z.number().refine((n) => Number.isFinite(n), { error: "filter numbers must be finite" });
const value = z.union([textValue, numValue], { error: "filter value must be a string or a finite number" });
const bound = numValue.optional();

const EqSchema = z.object({ op: z.literal("eq"), field, value }).strict();
const InSchema = z
  .object({
    op: z.literal("in"),
    field,
    values: z
      .array(value)
      .min(1, { error: "an in-filter needs at least one value" })
      .max(LIMITS.filterValues, { error: `an in-filter takes at most ${LIMITS.filterValues} values` }),
  })
  .strict();
const RangeSchema = z
  .object({ op: z.literal("range"), field, gte: bound, gt: bound, lte: bound, lt: bound })
  .strict()
  .refine((r) => r.gte !== undefined || r.gt !== undefined || r.lte !== undefined || r.lt !== undefined, {
    error: "a range filter needs at least one of gte, gt, lte, lt",
  });

/** Zod schema of the expression tree (recursive through and/or/not). */
export const FilterExprSchema: z.ZodType<FilterExpr> = z.lazy(() =>
  z
    .discriminatedUnion(
      "op",
      [
        EqSchema,
        InSchema,
        RangeSchema,
        z.object({ op: z.literal("and"), filters: z.array(FilterExprSchema).min(1, { error: "and needs at least one filter" }).max(64) }).strict(),
        z.object({ op: z.literal("or"), filters: z.array(FilterExprSchema).min(1, { error: "or needs at least one filter" }).max(64) }).strict(),
        z.object({ op: z.literal("not"), filter: FilterExprSchema }).strict(),
      ],
      { error: `filter op must be one of eq, in, range, and, or, not` },
    )
    .superRefine((expr, ctx) => checkTypes(expr, ctx)),
) as z.ZodType<FilterExpr>;

/** Price compares with numbers, every text field with strings; ranges are for price only. */
function checkTypes(expr: FilterExpr, ctx: z.RefinementCtx): void {
  if (expr.op === "eq" || expr.op === "in") {
    const values = expr.op === "eq" ? [expr.value] : expr.values;
    const want = expr.field === "price" ? "number" : "string";
    if (values.some((v) => typeof v !== want)) {
      ctx.addIssue({ code: "custom", message: `${expr.field} compares with ${want}s; got ${values.map((v) => JSON.stringify(v)).join(", ")}` });
    }
  } else if (expr.op === "range" && expr.field !== "price") {
    ctx.addIssue({ code: "custom", message: `range filters apply to price only, not ${expr.field}` });
  }
}

const oneOrMany = z.union([textValue, z.array(textValue).min(1).max(LIMITS.filterValues)], {
  error: "must be a string or a non-empty list of strings",
});
const priceShorthand = z.union([numValue, z.object({ gte: bound, gt: bound, lte: bound, lt: bound }).strict()]);

/** Shorthand the SDK accepts: `{ brand: "Nike", category: ["A", "B"], price: { lte: 100 }, attributes: { material: "wool" } }`. */
export const FilterShorthandSchema = z
  .object({
    brand: oneOrMany.optional(),
    category: oneOrMany.optional(),
    price: priceShorthand.optional(),
    attributes: z.record(z.string().regex(ATTRIBUTE_KEY, { error: "attribute keys are lower-case letters, digits and _" }), oneOrMany).optional(),
  })
  .strict();
export type FilterShorthand = z.infer<typeof FilterShorthandSchema>;

/** Expand the shorthand into an AND of eq/in/range expressions. */
export function expandShorthand(s: FilterShorthand): FilterExpr {
  const parts: FilterExpr[] = [];
  const text = (f: FilterField, v: string | string[]) => parts.push(Array.isArray(v) ? { op: "in", field: f, values: v } : { op: "eq", field: f, value: v });
  if (s.brand !== undefined) text("brand", s.brand);
  if (s.category !== undefined) text("category", s.category);
  if (s.price !== undefined) {
    parts.push(typeof s.price === "number" ? { op: "eq", field: "price", value: s.price } : { op: "range", field: "price", ...s.price });
  }
  for (const [k, v] of Object.entries(s.attributes ?? {})) text(`attributes.${k}`, v);
  return parts.length === 1 ? parts[0]! : { op: "and", filters: parts };
}

/**
 * Why a raw filter is too costly to even validate, or null. One iterative walk, stopping at the
 * first limit passed, before the recursive schema runs: a filter's cost (validation, SQL, the JS
 * predicate per candidate) grows with its nodes and values, so each request's is bounded here.
 */
export function filterBudgetProblem(raw: unknown): string | null {
  let nodes = 0;
  let values = 0;
  const stack: [unknown, number][] = [[raw, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (Array.isArray(v)) {
      for (const c of v) {
        if (typeof c === "object" && c !== null) stack.push([c, depth]);
        else if (++values > LIMITS.filterValues) return `a filter holds at most ${LIMITS.filterValues} values in all; split the request or use fewer in-values`;
      }
    } else if (typeof v === "object" && v !== null) {
      if (depth > LIMITS.filterDepth) return `filters nest at most ${LIMITS.filterDepth} levels deep; flatten and/or chains into one list`;
      if (++nodes > LIMITS.filterNodes) return `a filter has at most ${LIMITS.filterNodes} nodes in all; combine conditions with in-lists`;
      for (const [k, c] of Object.entries(v)) {
        if (typeof c === "object" && c !== null) stack.push([c, depth + 1]);
        else if (k === "value" && ++values > LIMITS.filterValues) return `a filter holds at most ${LIMITS.filterValues} values in all; split the request or use fewer in-values`;
      }
    }
  }
  return null;
}

/** A filter as the API accepts it: the expression tree or the shorthand; output is always the tree. */
export const FilterSchema = z
  .unknown()
  .superRefine((raw, ctx) => {
    const problem = filterBudgetProblem(raw);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .pipe(
    z.union([FilterExprSchema, FilterShorthandSchema.transform(expandShorthand)], {
      error: "filters must be an expression ({ op: ... }) or the shorthand ({ brand, category, price, attributes })",
    }),
  ) as unknown as z.ZodType<FilterExpr, unknown>;
