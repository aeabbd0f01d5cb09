import type { FilterExpr, FilterField } from "./filter-schema.ts";

/** The attributes of an item a filter looks at; null or absent means SQL NULL. */
export interface FilterableItem {
  /** Brand name, exactly as stored. */
  brand?: string | null;
  /** Category path, exactly as stored. */
  category?: string | null;
  /** Price, or null when unknown. */
  price?: number | null;
  /** Free-form attributes by key. */
  attributes?: Record<string, string | null | undefined> | null;
}

// SQL's three-valued logic: null stands for UNKNOWN, so NOT(price > 2) excludes items without a
// price in JS exactly as it does in LanceDB.
type Tri = boolean | null;

function read(item: FilterableItem, field: FilterField): string | number | null {
  if (field === "brand" || field === "category" || field === "price") return item[field] ?? null;
  return item.attributes?.[field.slice("attributes.".length)] ?? null;
}

function evaluate(expr: FilterExpr, item: FilterableItem): Tri {
  switch (expr.op) {
    case "eq": {
      const v = read(item, expr.field);
      return v === null ? null : v === expr.value;
    }
    case "in": {
      const v = read(item, expr.field);
      return v === null ? null : expr.values.includes(v);
    }
    case "range": {
      const v = read(item, expr.field);
      if (v === null || typeof v !== "number") return null;
      return (
        (expr.gte === undefined || v >= expr.gte) &&
        (expr.gt === undefined || v > expr.gt) &&
        (expr.lte === undefined || v <= expr.lte) &&
        (expr.lt === undefined || v < expr.lt)
      );
    }
    case "and": {
      let unknown = false;
      for (const f of expr.filters) {
        const r = evaluate(f, item);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case "or": {
      let unknown = false;
      for (const f of expr.filters) {
        const r = evaluate(f, item);
        if (r === true) return true;
        if (r === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case "not": {
      const r = evaluate(expr.filter, item);
      return r === null ? null : !r;
    }
  }
}

/** Compile a filter tree to a JS predicate with the same semantics as its SQL form. */
export function filterToPredicate(expr: FilterExpr): (item: FilterableItem) => boolean {
  return (item) => evaluate(expr, item) === true;
}
