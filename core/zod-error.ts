import type { z } from "zod";
import { CoreError } from "./errors.ts";

/** One problem with an input: where, and what to do about it. */
export interface FieldIssue {
  /** Dotted path to the field ("" for the whole value). */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

// An issue as flattened; `unknownKey` marks one made from an unrecognized_keys issue (one per key,
// named by its own field), so the union scoring below can discount the key's extra path segment.
type FlatIssue = FieldIssue & { unknownKey?: true };

// zod's default message for unknown keys ("Unrecognized key(s): ...") says nothing a schema did not;
// a schema's own message for them (a hint) is kept after the field's name.
const ZOD_DEFAULT_UNKNOWN = /^Unrecognized keys?:/;

// A union's own message ("must be A or B") hides the real problem; descend into the branch that
// got furthest (the one whose issues sit deepest) so the user sees e.g. "price is negative".
function flatten(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === "unrecognized_keys" && iss.keys.length > 0) {
      // One issue per unknown key, each naming its field: `page: unknown field "page"; ...`.
      const hint = ZOD_DEFAULT_UNKNOWN.test(iss.message) ? "remove it" : iss.message;
      for (const key of iss.keys) out.push({ field: [...path, key].map(String).join("."), message: `unknown field "${key}"; ${hint}`, unknownKey: true });
      continue;
    }
    if (iss.code === "invalid_union" && iss.errors.length > 0) {
      const branches = iss.errors.map((b) => flatten(b, path));
      // Score each branch: deeper issues mean it got further; a discriminator miss ("op" absent)
      // or unknown keys mean it was the wrong shape altogether.
      const score = (k: number) => {
        const b = iss.errors[k]!;
        if (b.some((i) => i.code === "invalid_union" && i.errors.length === 0 && "discriminator" in i)) return -1000;
        const depth = Math.max(...branches[k]!.map((i) => (i.field === "" ? 0 : i.field.split(".").length - (i.unknownKey ? 1 : 0))));
        return depth * 10 - (b.some((i) => i.code === "unrecognized_keys") ? 5 : 0);
      };
      let best = 0;
      for (let k = 1; k < branches.length; k++) if (score(k) > score(best)) best = k;
      if (score(best) !== score(best === 0 ? 1 : 0) || branches.length === 1) {
        out.push(...branches[best]!);
        continue;
      }
    }
    out.push({ field: path.map(String).join("."), message: iss.message });
  }
  return out;
}

/** Turn a ZodError into field issues a person can act on. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  return flatten(error.issues, []).map(({ field, message }) => ({ field, message }));
}

/** Format field issues as one line: `price: price is negative; …`. */
export function formatIssues(issues: FieldIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
}

/** Parse with a schema or throw a CoreError naming the field and the fix. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = zodIssues(r.error);
  throw new CoreError("INVALID_INPUT", `invalid ${what}: ${formatIssues(issues)}`, issues[0]?.field);
}
