// --help generated from a verb's table: usage lines, summary, sub-verbs, every flag with its value
// name, and what the table knows about it (required, range, choices, default, env, where it
// applies), then notes and examples. Also the verb list of `vitrine --help`.
import { EXIT_CODES } from "../errors.ts";
import { rangeText, valueName } from "./parse.ts";
import type { FlagSpec, FlagTable, VerbSpec } from "./spec.ts";

/** Help lines are wrapped to this many columns. */
export const HELP_WIDTH = 100;
/** Widest flag column before the help text moves to its own line. */
const LABEL_WIDTH = 26;

/** Wrap `text` to `width` columns; continuation lines get `indent` spaces. */
export function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/[ \t\n]+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

function flagLabel(name: string, f: FlagSpec): string {
  const short = f.short ? `-${f.short}, ` : "";
  const v = valueName(f);
  return `${short}--${name}${v ? ` ${v}` : ""}`;
}

const show = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v));

/** What the table says about a flag beyond its help line, e.g. "required; ≥ 1; default 200; env X". */
export function flagFacts(f: FlagSpec): string[] {
  const facts: string[] = [];
  if (f.type !== "boolean" && f.required) facts.push("required");
  if (f.type === "int" || f.type === "number" || (f.type === "list" && f.of === "int")) {
    // "in 1..10" reads as "1..10" here; "≥ 1" is kept on one line.
    const r = rangeText(f)
      .replace(/^in /, "")
      .replace(/([≥≤<]) /, "$1\u00a0");
    if (r) facts.push(f.type === "list" ? `each ${r}` : r);
  }
  if ((f.type === "enum" || (f.type === "list" && f.choices)) && f.value) facts.push(`${f.type === "list" ? "of" : "one of"} ${f.choices!.join(", ")}`);
  if (f.type !== "boolean") {
    if (f.default !== undefined) facts.push(`default ${show(f.default)}`);
    else if (f.defaultText) facts.push(`default ${f.defaultText}`);
    if (f.env) facts.push(`env ${f.env}`);
  }
  if ((f.type === "string" || f.type === "enum") && f.multiple) facts.push("repeatable");
  if (f.requires) facts.push(`with --${f.requires}`);
  if (f.subverbs) facts.push(`${f.subverbs.join(", ")} only`);
  return facts;
}

function flagLines(entries: [string, FlagSpec][], width: number): string[] {
  const out: string[] = [];
  for (const [name, f] of entries) {
    const label = flagLabel(name, f);
    const facts = flagFacts(f);
    const text = facts.length ? `${f.help} (${facts.join("; ")})` : f.help;
    const col = 2 + width + 2;
    const body = wrap(text, HELP_WIDTH - col, col);
    out.push(label.length <= width ? `  ${label.padEnd(width)}  ${body}` : `  ${label}\n${" ".repeat(col)}${body}`);
  }
  return out;
}

/** The usage lines of a verb: the table's own, else generated from its sub-verbs and required flags. */
export function usageLines(spec: VerbSpec<FlagTable, string>): string[] {
  if (spec.usage) return spec.usage.map((u) => `vitrine ${spec.name} ${u}`.trimEnd());
  const entries = Object.entries(spec.flags);
  const required = entries.filter(([, f]) => f.type !== "boolean" && f.required).map(([n, f]) => `--${n} ${valueName(f)}`);
  const rest = entries.length > required.length ? " [options]" : "";
  const subs = spec.subverbs as Record<string, { args?: readonly { name: string; optional?: boolean }[] }> | undefined;
  if (!subs) return [`vitrine ${spec.name}${required.map((r) => ` ${r}`).join("")}${rest}`];
  return Object.entries(subs).map(([s, sub]) => {
    const args = (sub.args ?? []).map((a) => (a.optional ? ` [${a.name}]` : ` ${a.name}`)).join("");
    return `vitrine ${spec.name} ${s}${args}${required.map((r) => ` ${r}`).join("")}${rest}`;
  });
}

/** The whole `vitrine <verb> --help` text. */
export function formatHelp(spec: VerbSpec<FlagTable, string>): string {
  const parts: string[] = [];
  const usage = usageLines(spec);
  parts.push(usage.map((u, i) => `${i === 0 ? "usage: " : "       "}${u}`).join("\n"));
  parts.push(wrap(spec.summary, HELP_WIDTH, 0));
  if (spec.description) parts.push(spec.description.trim());
  const subs = spec.subverbs as Record<string, { summary: string; args?: readonly { name: string }[] }> | undefined;
  if (subs) {
    const labels = Object.entries(subs).map(([s, sub]) => [`${s}${(sub.args ?? []).map((a) => ` ${a.name}`).join("")}`, sub.summary] as const);
    const w = Math.min(Math.max(...labels.map(([l]) => l.length)), LABEL_WIDTH);
    const heading = `${spec.subverbNoun ?? "sub-verb"}s${spec.defaultSubverb ? ` (default ${spec.defaultSubverb})` : ""}:`;
    parts.push([heading, ...labels.map(([l, s]) => `  ${l.padEnd(w)}  ${wrap(s, HELP_WIDTH - w - 4, w + 4)}`)].join("\n"));
  }
  const entries: [string, FlagSpec][] = [...Object.entries(spec.flags), ["help", { type: "boolean", short: "h", help: "show this help" }]];
  const width = Math.min(Math.max(...entries.map(([n, f]) => flagLabel(n, f).length)), LABEL_WIDTH);
  const groups = new Map<string, [string, FlagSpec][]>([["options", []]]);
  for (const e of entries) {
    const g = e[1].group ?? "options";
    groups.set(g, [...(groups.get(g) ?? []), e]);
  }
  for (const [g, es] of groups) if (es.length) parts.push([`${g}:`, ...flagLines(es, width)].join("\n"));
  if (spec.notes) parts.push(spec.notes.trim());
  if (spec.examples?.length) parts.push(["examples:", ...spec.examples.map((e) => `  ${e}`)].join("\n"));
  return parts.join("\n\n");
}

/** `vitrine --help`: every verb with its summary, the global options and the exit codes. */
export function formatVerbList(specs: readonly VerbSpec<FlagTable, string>[]): string {
  const width = Math.max(...specs.map((s) => s.name.length));
  const verbs = specs.map((s) => `  ${s.name.padEnd(width)}  ${wrap(s.summary, HELP_WIDTH - width - 4, width + 4)}`);
  const codes = Object.entries(EXIT_CODES)
    .map(([kind, code]) => `${code} ${kind}`)
    .join(", ");
  return [
    "usage: vitrine <verb> [options]      (vitrine <verb> --help: the verb's options)",
    "       vitrine --version | --help",
    "",
    "verbs:",
    ...verbs,
    "",
    wrap(`exit codes: ${codes}. Errors print as "vitrine <verb>: CODE: message"; set VITRINE_DEBUG=1 for stack traces.`, HELP_WIDTH, 0),
  ].join("\n");
}
