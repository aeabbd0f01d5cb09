// What a verb's table says: its typed flags, sub-verbs, usage lines and examples. One table gives
// both the parser (parse.ts) and the --help text (help.ts), so the two cannot disagree. Pure data:
// a table imports nothing heavy, so `vitrine <verb> --help` never loads the verb's module.

/** Environment variables, as process.env has them (passed in: core uses no Node API). */
export type Env = Readonly<Record<string, string | undefined>>;

interface FlagCommon {
  /** One line of help; long lines are wrapped. Defaults, ranges, env and the like are appended from the table. */
  help: string;
  /** Name of the value in help and messages: DIR, FILE, N, X, URL (default by type: VALUE, N, X, the choices). */
  value?: string;
  /** One-letter alias (`-x`). */
  short?: string;
  /** Heading of a section of --help (flags without one come first). */
  group?: string;
  /** The flag applies only when this other flag is set too (`--seeds` with `--ablations`). */
  requires?: string;
  /** The flag applies only to these sub-verbs (`--keep` with `releases gc`). */
  subverbs?: readonly string[];
}

interface ValueCommon extends FlagCommon {
  /** Absent (and no env value): a usage error naming the flag. */
  required?: boolean;
  /** Environment variable read when the flag is absent (shown in help). */
  env?: string;
  /** A default that the code applies, not the parser (shown in help as "default …"). */
  defaultText?: string;
}

/** Free text: a path, a URL, an id. */
export interface StringFlag extends ValueCommon {
  type: "string";
  default?: string;
  /** Repeatable: the values come as an array. */
  multiple?: boolean;
  /** Values must match, else "--flag must be <expect>". */
  pattern?: RegExp;
  /** What a matching value looks like, for the message ("a release id like r002"). */
  expect?: string;
}

/** A whole number, range-checked. */
export interface IntFlag extends ValueCommon {
  type: "int";
  default?: number;
  min?: number;
  max?: number;
}

/** A finite number, range-checked. */
export interface NumberFlag extends ValueCommon {
  type: "number";
  default?: number;
  min?: number;
  max?: number;
  /** The value must be below max, not equal to it. */
  maxExclusive?: boolean;
}

/** A switch: true when given. */
export interface BooleanFlag extends FlagCommon {
  type: "boolean";
}

/** One of fixed choices. */
export interface EnumFlag extends ValueCommon {
  type: "enum";
  choices: readonly string[];
  default?: string;
  multiple?: boolean;
}

/** Comma-separated values: `--seeds 1,2,3`. */
export interface ListFlag extends ValueCommon {
  type: "list";
  of: "int" | "string";
  default?: readonly number[] | readonly string[];
  /** Bounds of each int. */
  min?: number;
  max?: number;
  /** Allowed strings. */
  choices?: readonly string[];
}

export type FlagSpec = StringFlag | IntFlag | NumberFlag | BooleanFlag | EnumFlag | ListFlag;
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** A positional argument of a sub-verb (`activate rNNN`, `trigger KIND`). */
export interface ArgSpec {
  /** As shown: rNNN, KIND, JOB_ID. */
  name: string;
  optional?: boolean;
  choices?: readonly string[];
  pattern?: RegExp;
  /** What a matching value looks like, for the message. */
  expect?: string;
}

/** A sub-verb (`releases gc`, `datasets demo`). */
export interface SubverbSpec {
  summary: string;
  args?: readonly ArgSpec[];
}

/** One verb's table. */
export interface VerbSpec<F extends FlagTable = FlagTable, S extends string = string> {
  /** As typed: `vitrine <name>`. */
  name: string;
  /** One line for the verb list. */
  summary: string;
  /** Usage lines after `vitrine <name> `; generated from the table when absent. */
  usage?: readonly string[];
  /** Paragraphs after the usage lines (pre-wrapped text). */
  description?: string;
  /** Sub-verbs: the first positional word picks one. */
  subverbs?: { readonly [K in S]: SubverbSpec };
  /** What a sub-verb is called in messages and help: "dataset", "action" (default "sub-verb"). */
  subverbNoun?: string;
  /** The sub-verb when none is given (`releases` = `releases list`). */
  defaultSubverb?: NoInfer<S>;
  flags: F;
  /** Text after the options (pre-wrapped). */
  notes?: string;
  /** Whole command lines (`vitrine publish --data data/demo`); a test parses each one with this table. */
  examples?: readonly string[];
  /** Flags this verb no longer has, by name, with what to do instead (the unknown-flag error says it, so old scripts learn why). */
  retired?: { readonly [flag: string]: string };
}

/** A verb table with literal types kept, so parsed values are typed from it. */
export function defineVerb<const F extends FlagTable, const S extends string = never>(spec: VerbSpec<F, S>): VerbSpec<F, S> {
  return spec;
}

type Base<F> = F extends { type: "boolean" }
  ? boolean
  : F extends { type: "int" | "number" }
    ? number
    : F extends { type: "enum"; choices: readonly (infer C)[] }
      ? F extends { multiple: true }
        ? C[]
        : C
      : F extends { type: "list"; of: "int" }
        ? number[]
        : F extends { type: "list"; choices: readonly (infer C)[] }
          ? C[]
          : F extends { type: "list" }
            ? string[]
            : F extends { multiple: true }
              ? string[]
              : string;

type Always<F> = F extends { type: "boolean" } ? true : F extends { default: unknown } ? true : F extends { required: true } ? true : false;

/** The typed values of a flag table: absent flags are undefined unless they have a default or are required. */
export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]: Always<T[K]> extends true ? Base<T[K]> : Base<T[K]> | undefined };

/** What parsing a command line against a table gives. */
export interface Parsed<F extends FlagTable, S extends string> {
  values: FlagValues<F>;
  /** The sub-verb chosen (undefined for a verb without sub-verbs). */
  subverb: [S] extends [never] ? undefined : S;
  /** The sub-verb's positional arguments, checked against its ArgSpecs. */
  args: string[];
  /** The flags given on the command line (not from env or a default). */
  given: ReadonlySet<keyof F & string>;
}

/** The parse result of a verb table. */
export type ArgsOf<V> = V extends VerbSpec<infer F, infer S> ? Parsed<F, S> : never;
