// The parser a verb table generates: `--flag value`, `--flag=value`, `-h`, `--` ends the flags;
// values typed and checked (whole numbers, ranges, choices, patterns), then sub-verbs and their
// arguments. Every mistake is a UsageError naming the flag or word, the fix, and a near miss.
import type { ArgSpec, Env, FlagSpec, FlagTable, Parsed, VerbSpec } from "./spec.ts";
import { didYouMean } from "./suggest.ts";
import { UsageError } from "./usage-error.ts";

/** `--help` or `-h` before any `--`: the caller prints help instead of parsing. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The value name shown after a flag: its `value`, else one by type. */
export function valueName(f: FlagSpec): string {
  if (f.type === "boolean") return "";
  if (f.value) return f.value;
  switch (f.type) {
    case "int":
      return "N";
    case "number":
      return "X";
    case "enum":
      return f.choices.join("|");
    case "list":
      return f.of === "int" ? "N,N,..." : "A,B,...";
    default:
      return "VALUE";
  }
}

/** The range of an int or number flag as words: "in 1..10000", "≥ 1", "in [0, 1)"; "" when unbounded. */
export function rangeText(f: { min?: number; max?: number; maxExclusive?: boolean }): string {
  const { min, max } = f;
  if (min !== undefined && max !== undefined) return f.maxExclusive ? `in [${min}, ${max})` : `in ${min}..${max}`;
  if (min !== undefined) return `≥ ${min}`;
  if (max !== undefined) return f.maxExclusive ? `< ${max}` : `≤ ${max}`;
  return "";
}

const quote = (s: string) => JSON.stringify(s);
const orList = (xs: readonly string[]) => (xs.length <= 2 ? xs.join(" or ") : `one of ${xs.join(", ")}`);
const near = (input: string, candidates: readonly string[], show: (c: string) => string = quote) => {
  const m = didYouMean(input, candidates);
  return m === undefined ? "" : ` (did you mean ${show(m)}?)`;
};

function toInt(label: string, raw: string, f: { min?: number; max?: number }, each = false): number {
  const n = Number(raw);
  const range = rangeText(f);
  if (!NUMBER.test(raw.trim()) || !Number.isSafeInteger(n) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
    throw new UsageError("BAD_FLAG", `${label} must be a whole number${range ? ` ${range}` : ""}${each ? " each" : ""}, got ${quote(raw)}`);
  }
  return n;
}

function toNumber(label: string, raw: string, f: { min?: number; max?: number; maxExclusive?: boolean }): number {
  const n = Number(raw);
  const range = rangeText(f);
  const bad = !NUMBER.test(raw.trim()) || !Number.isFinite(n) || (f.min !== undefined && n < f.min) || (f.max !== undefined && (f.maxExclusive ? n >= f.max : n > f.max));
  if (bad) throw new UsageError("BAD_FLAG", `${label} must be a number${range ? ` ${range}` : ""}, got ${quote(raw)}`);
  return n;
}

function toChoice(label: string, raw: string, choices: readonly string[]): string {
  if (choices.includes(raw)) return raw;
  throw new UsageError("BAD_FLAG", `${label} must be ${orList(choices)}, got ${quote(raw)}${near(raw, choices)}`);
}

/** One raw value (from the command line or the environment) as the flag's type. */
function convert(label: string, f: FlagSpec, raw: string): unknown {
  switch (f.type) {
    case "int":
      return toInt(label, raw, f);
    case "number":
      return toNumber(label, raw, f);
    case "enum":
      return toChoice(label, raw, f.choices);
    case "list": {
      const items = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0) throw new UsageError("BAD_FLAG", `${label} needs at least one value, e.g. ${label} ${valueName(f)}`);
      if (f.of === "int") return items.map((s) => toInt(label, s, f, true));
      return f.choices ? items.map((s) => toChoice(label, s, f.choices!)) : items;
    }
    case "string":
      if (f.pattern && !f.pattern.test(raw)) throw new UsageError("BAD_FLAG", `${label} must be ${f.expect ?? `like ${f.pattern}`}, got ${quote(raw)}`);
      return raw;
    default:
      return raw;
  }
}

/** A token that looks like a flag rather than a value (a negative number is a value). */
const flagLike = (t: string) => t.startsWith("-") && t !== "-" && !NUMBER.test(t);

function unknownFlag(spec: VerbSpec<FlagTable, string>, token: string): UsageError {
  const names = [...Object.keys(spec.flags), "help"];
  const name = token.replace(/^-+/, "").split("=")[0]!;
  const retired = Object.hasOwn(spec.retired ?? {}, name) ? spec.retired![name] : undefined;
  if (retired) return new UsageError("UNKNOWN_FLAG", `--${name} was removed: ${retired}`);
  return new UsageError("UNKNOWN_FLAG", `unknown flag ${token}${near(name, names, (n) => `--${n}`)}`);
}

function checkArg(where: string, a: ArgSpec, raw: string): void {
  if (a.choices && !a.choices.includes(raw)) {
    throw new UsageError("BAD_ARGUMENT", `${where}: ${a.name} must be ${orList(a.choices)}, got ${quote(raw)}${near(raw, a.choices)}`);
  }
  if (a.pattern && !a.pattern.test(raw)) throw new UsageError("BAD_ARGUMENT", `${where}: ${a.name} must be ${a.expect ?? `like ${a.pattern}`}, got ${quote(raw)}`);
}

/**
 * Parse the words after `vitrine <verb>` against the verb's table. `env` supplies flags that name an
 * environment variable and were not given. Throws UsageError; `--help` is the caller's (wantsHelp).
 */
export function parseArgv<F extends FlagTable, S extends string>(spec: VerbSpec<F, S>, argv: readonly string[], opts: { env?: Env } = {}): Parsed<F, S> {
  const flags: FlagTable = spec.flags;
  const own = (name: string): FlagSpec | undefined => (Object.hasOwn(flags, name) ? flags[name] : undefined);
  const raw = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!flagLike(token)) {
      positionals.push(token);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      inline = eq < 0 ? undefined : token.slice(eq + 1);
    } else {
      const short = token.slice(1);
      const hit = Object.entries(flags).find(([, f]) => f.short === short);
      if (!hit) {
        if (short === "h") continue; // help: the caller's
        throw unknownFlag(spec, token);
      }
      name = hit[0];
    }
    if (name === "help") continue;
    const f = own(name);
    if (!f) throw unknownFlag(spec, token);
    if (f.type === "boolean") {
      if (inline !== undefined) throw new UsageError("BAD_FLAG", `--${name} is a switch and takes no value (got ${quote(token)})`);
      raw.set(name, ["true"]);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next === "--" || flagLike(next)) {
        throw new UsageError("BAD_FLAG", `--${name} needs a value: --${name} ${valueName(f)}${next !== undefined && next !== "--" ? ` (a value starting with "-" goes as --${name}=${next})` : ""}`);
      }
      value = next;
      i++;
    }
    const multiple = (f.type === "string" || f.type === "enum") && f.multiple === true;
    raw.set(name, multiple ? [...(raw.get(name) ?? []), value] : [value]);
  }

  // Sub-verb and its arguments.
  let subverb: string | undefined;
  let args: string[] = [];
  const subs = spec.subverbs as Record<string, { args?: readonly ArgSpec[] }> | undefined;
  if (subs) {
    const noun = spec.subverbNoun ?? "sub-verb";
    const names = Object.keys(subs);
    subverb = positionals.shift() ?? spec.defaultSubverb;
    if (subverb === undefined) throw new UsageError("BAD_ARGUMENT", `name ${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}: ${names.join(", ")} (vitrine ${spec.name} <${names.join("|")}>)`);
    if (!Object.hasOwn(subs, subverb)) {
      throw new UsageError("BAD_ARGUMENT", `unknown ${noun} ${quote(subverb)}; choose ${orList(names)}${near(subverb, names)}`);
    }
    const specs = subs[subverb]!.args ?? [];
    const where = `${spec.name} ${subverb}`;
    specs.forEach((a, k) => {
      const v = positionals[k];
      if (v === undefined) {
        if (!a.optional) throw new UsageError("BAD_ARGUMENT", `${where} needs ${a.name}${a.expect ? `: ${a.expect}` : a.choices ? `: ${orList(a.choices)}` : ""}`);
        return;
      }
      checkArg(where, a, v);
    });
    args = positionals.splice(0, specs.length);
  }
  if (positionals.length > 0) throw new UsageError("BAD_ARGUMENT", `unexpected argument ${quote(positionals[0]!)}`);

  // Typed values: the command line, else the environment, else the default.
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, f] of Object.entries(flags)) {
    const label = `--${name}`;
    const got = raw.get(name);
    if (got !== undefined) {
      given.add(name);
      if (f.type === "boolean") values[name] = true;
      else if ((f.type === "string" || f.type === "enum") && f.multiple) values[name] = got.map((g) => convert(label, f, g));
      else values[name] = convert(label, f, got[0]!);
      continue;
    }
    if (f.type === "boolean") {
      values[name] = false;
      continue;
    }
    const fromEnv = f.env ? opts.env?.[f.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") {
      const v = convert(`${f.env} (for ${label})`, f, fromEnv);
      values[name] = (f.type === "string" || f.type === "enum") && f.multiple ? [v] : v;
    } else if (f.default !== undefined) {
      values[name] = Array.isArray(f.default) ? [...f.default] : f.default;
    } else if (f.required) {
      throw new UsageError("MISSING_FLAG", `${label} ${valueName(f)} is required${f.env ? ` (or ${f.env})` : ""}: ${f.help}`);
    } else {
      values[name] = undefined;
    }
  }

  // Flags that apply only with another flag, or only to some sub-verbs.
  for (const name of given) {
    const f = flags[name]!;
    if (f.subverbs && subverb !== undefined && !f.subverbs.includes(subverb)) {
      const where = f.subverbs.map((s) => `"${spec.name} ${s}"`).join(" and ");
      throw new UsageError("BAD_FLAG", `--${name} applies to ${where} only`);
    }
    if (f.requires !== undefined) {
      const other = values[f.requires];
      if (other === undefined || other === false) throw new UsageError("BAD_FLAG", `--${name} only applies with --${f.requires}`);
    }
  }
  return { values, subverb, args, given } as unknown as Parsed<F, S>;
}
