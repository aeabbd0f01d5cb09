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
type Node = (item: FilterableItem) => Tri;

function reader(field: FilterField): (item: FilterableItem) => string | number | null {
  if (field === "brand" || field === "category" || field === "price") return (item) => item[field] ?? null;
  const key = field.slice("attributes.".length);
  // Own keys only: "attributes.constructor" must not read Object.prototype (SQL has no such column value).
  return (item) => {
    const a = item.attributes;
    return a && Object.hasOwn(a, key) ? (a[key] ?? null) : null;
  };
}

// The tree compiles once into closures, and in-lists into Sets: a filter runs per candidate, so
// its per-item cost must not grow with the length of its lists.
function compile(expr: FilterExpr): Node {
  switch (expr.op) {
    case "eq": {
      const read = reader(expr.field);
      const want = expr.value;
      return (item) => {
        const v = read(item);
        return v === null ? null : v === want;
      };
    }
    case "in": {
      const read = reader(expr.field);
      const set = new Set<string | number>(expr.values);
      return (item) => {
        const v = read(item);
        return v === null ? null : set.has(v);
      };
    }
    case "range": {
      const read = reader(expr.field);
      const { gte, gt, lte, lt } = expr;
      return (item) => {
        const v = read(item);
        if (v === null || typeof v !== "number") return null;
        return (gte === undefined || v >= gte) && (gt === undefined || v > gt) && (lte === undefined || v <= lte) && (lt === undefined || v < lt);
      };
    }
    case "and": {
      const parts = expr.filters.map(compile);
      return (item) => {
        let unknown = false;
        for (const f of parts) {
          const r = f(item);
          if (r === false) return false;
          if (r === null) unknown = true;
        }
        return unknown ? null : true;
      };
    }
    case "or": {
      const parts = expr.filters.map(compile);
      return (item) => {
        let unknown = false;
        for (const f of parts) {
          const r = f(item);
          if (r === true) return true;
          if (r === null) unknown = true;
        }
        return unknown ? null : false;
      };
    }
    case "not": {
      const inner = compile(expr.filter);
      return (item) => {
        const r = inner(item);
        return r === null ? null : !r;
      };
    }
  }
}

/** Compile a filter tree to a JS predicate with the same semantics as its SQL form. */
export function filterToPredicate(expr: FilterExpr): (item: FilterableItem) => boolean {
  const root = compile(expr);
  return (item) => root(item) === true;
}
