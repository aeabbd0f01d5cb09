// No absolute server paths in API responses: error messages, release and job records, job logs and
// streamed job events are rewritten at the edge of the API so a client (a read key, a browser)
// never learns where the server keeps its data. The server's own log keeps the real paths.
// Runtime-agnostic: the caller (api/node) names the paths; the app only rewrites strings.
import { rewriteJson } from "./json-rewrite.ts";

/** A server path and what it is shown as (e.g. the data directory as "<data>"). */
export interface PathAlias {
  /** Absolute path on the server. */
  path: string;
  /** What a client sees instead, e.g. "<data>". */
  as: string;
}

/** Returns a value with every server path in its strings replaced; unchanged values are returned as is. */
export type Redactor = <T>(value: T) => T;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// A path starts where no path or host character precedes it (so "https://cdn.example/home/a.png"
// is left alone) and ends at a separator or the end of a path component.
const START = "(?<![\\w.~%-])";
const END = "(?=$|[/\\\\\\s\"'`),;:\\]}>])";

// Whatever the caller named, home and temp directories never go out: their names identify users and
// hosts. "/home/alice/x" → "~/x", "/root/x" → "~/x", "/tmp/x" → "<tmp>/x".
const GENERIC: [string, string][] = [
  ["/(?:home|Users)/[^/\\s\"'`]+", "~"],
  ["/root", "~"],
  ["/(?:private/)?(?:var/)?tmp", "<tmp>"],
];

/** Build the redactor for these aliases (longest path first, so a data dir inside /tmp reads "<data>"). */
export function createRedactor(aliases: readonly PathAlias[]): Redactor {
  const clean = new Map<string, string>();
  for (const a of aliases) {
    const p = a.path.replace(/\/+$/, "");
    // "/" or a one-letter root would rewrite every path-looking string.
    if (p.length < 2 || !p.startsWith("/")) continue;
    if (!clean.has(p)) clean.set(p, a.as);
  }
  const specific = [...clean.keys()].sort((x, y) => y.length - x.length);
  const parts = [...specific.map((p) => `(${escapeRe(p)})`), ...GENERIC.map(([re]) => `(${re})`)];
  const pattern = new RegExp(`${START}(?:${parts.join("|")})${END}`, "g");
  const replacements = [...specific.map((p) => clean.get(p)!), ...GENERIC.map(([, as]) => as)];

  // Every match starts with one of these (a path's first component): cheap tests that let most
  // strings — titles, ids, image URLs — skip the regular expression.
  const heads = [...new Set([...specific.map((p) => `/${p.split("/")[1]}`), "/home/", "/Users/", "/root", "/tmp", "/private/", "/var/"])];
  const text = (s: string): string => {
    if (!s.includes("/")) return s;
    let candidate = false;
    for (const h of heads) {
      if (s.includes(h)) {
        candidate = true;
        break;
      }
    }
    if (!candidate) return s;
    return s.replace(pattern, (...m: unknown[]) => {
      for (let i = 0; i < replacements.length; i++) if (m[i + 1] !== undefined) return replacements[i]!;
      return m[0] as string;
    });
  };

  return <T>(value: T) => rewriteJson(value, { string: text, maxDepth: 64 });
}

/** A redactor that changes nothing. */
export const noRedaction: Redactor = (v) => v;
