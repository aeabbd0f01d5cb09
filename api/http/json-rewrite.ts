// One copy-on-write walk over a JSON answer, shared by the rewrites the API applies at its edge
// (server paths redacted, image references turned into URLs): only what changes is copied, so an
// answer with nothing to rewrite goes out as the same object, and a big one costs one walk.

/** Options of rewriteJson. */
export interface RewriteJsonOptions {
  /** A string's replacement (absent: strings are kept and not visited). */
  string?: (s: string) => string;
  /** A field's replacement instead of the walk below it, or `undefined` to walk it as usual. */
  field?: (key: string, value: unknown) => unknown;
  /** Objects and arrays nested deeper than this are returned as they are (bounds the work). */
  maxDepth: number;
}

/**
 * `value` with its strings and fields rewritten; arrays, plain and null-prototype objects are
 * walked, anything else (class instances, typed arrays) is kept. Unchanged parts keep their
 * identity, and a "__proto__" key stays an own key.
 */
export function rewriteJson<T>(value: T, opts: RewriteJsonOptions): T {
  const { string, field, maxDepth } = opts;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return string ? string(v) : v;
    if (typeof v !== "object" || v === null || depth > maxDepth) return v;
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const w = walk(v[i], depth + 1);
        if (w !== v[i]) (out ??= v.slice())[i] = w;
      }
      return out ?? v;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    let out: Record<string, unknown> | null = null;
    const obj = v as Record<string, unknown>;
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      const x = obj[k];
      const special = field ? field(k, x) : undefined;
      let w: unknown;
      if (special !== undefined) w = special;
      // Numbers, booleans and null need no walk (most fields of an answer), nor strings when kept.
      else if (typeof x === "string" ? !string : typeof x !== "object" || x === null) continue;
      else w = walk(x, depth + 1);
      if (w === x) continue;
      out ??= proto === null ? Object.assign(Object.create(null) as Record<string, unknown>, obj) : { ...obj };
      Object.defineProperty(out, k, { value: w, enumerable: true, writable: true, configurable: true });
    }
    return out ?? v;
  };
  return walk(value, 0) as T;
}
