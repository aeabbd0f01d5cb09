// The verb tables (core/cli/verbs/) against the code they describe: the text of a table names only
// its own flags, its examples parse, and its choices and defaults are the code's.
import { describe, expect, it } from "vitest";
import { VERBS } from "../bin/verbs.ts";
import { formatHelp, parseArgv } from "../core/cli/index.ts";
import { ABLATION_ROW_IDS, DATASETS, DEMO, IMPORT, PRETRAIN, PUBLISH, RETRAIN } from "../core/cli/verbs/index.ts";
import { DATASET_NAMES, DEFAULT_ITEMS, DEFAULT_SEED, DEFAULT_TITLE_ATTR_RATE, FASHION_MNIST_DIR } from "../datasets/index.ts";
import { ABLATION_ROWS, BACKEND_NAMES, PRESETS } from "../gpu-jobs/index.ts";
import { COLUMN_PRESETS } from "../ingest/index.ts";
import { DEFAULT_EXACT_THRESHOLD } from "../lancedb/index.ts";

/** Split an example command line like a shell would, for the quoting the examples use. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

const specs = Object.values(VERBS).map((v) => v.spec);

describe("verb tables", () => {
  it("are keyed by their names", () => {
    for (const [name, verb] of Object.entries(VERBS)) expect(verb.spec.name).toBe(name);
  });

  it.each(specs.map((s) => [s.name, s] as const))("%s: its text names only its own flags, and --help shows every flag", (_, spec) => {
    const own = new Set([...Object.keys(spec.flags), "help"]);
    const texts = [...(spec.usage ?? []), spec.description ?? "", spec.notes ?? "", ...(spec.examples ?? []), ...Object.values(spec.flags).map((f) => f.help)];
    const named = texts.flatMap((t) => [...t.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
    expect(named.filter((n) => !own.has(n))).toEqual([]);
    const help = formatHelp(spec);
    for (const name of Object.keys(spec.flags)) expect(help).toMatch(new RegExp(`^  (-\\w, )?--${name}\\b`, "m"));
    for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it.each(specs.map((s) => [s.name, s] as const))("%s: requires and subverbs name flags and sub-verbs it has", (_, spec) => {
    const subverbs = Object.keys(spec.subverbs ?? {});
    if (spec.defaultSubverb !== undefined) expect(subverbs).toContain(spec.defaultSubverb);
    for (const f of Object.values(spec.flags)) {
      if (f.requires !== undefined) expect(Object.keys(spec.flags)).toContain(f.requires);
      for (const s of f.subverbs ?? []) expect(subverbs).toContain(s);
    }
  });

  it.each(specs.flatMap((s) => (s.examples ?? []).map((e) => [e, s] as const)))("the example `%s` parses", (example, spec) => {
    const [program, verb, ...argv] = words(example);
    expect([program, verb]).toEqual(["vitrine", spec.name]);
    expect(() => parseArgv(spec, argv, { env: { VITRINE_KEY: "k" } })).not.toThrow();
  });

  it("choices and defaults are the code's", () => {
    expect(Object.keys(DATASETS.subverbs!)).toEqual([...DATASET_NAMES]);
    expect(DATASETS.flags.seed.default).toBe(DEFAULT_SEED);
    expect(DATASETS.flags["title-attr-rate"].default).toBe(DEFAULT_TITLE_ATTR_RATE);
    expect(DATASETS.flags.source.default).toBe(FASHION_MNIST_DIR);
    for (const [name, n] of Object.entries(DEFAULT_ITEMS)) expect(DATASETS.flags.items.defaultText).toContain(`${name} ${n}`);
    expect(DEMO.flags.items.defaultText).toBe(String(DEFAULT_ITEMS.demo));
    expect(DEMO.flags.seed.defaultText).toBe(String(DEFAULT_SEED));
    expect([...PRETRAIN.flags.preset.choices]).toEqual(Object.keys(PRESETS));
    expect([...PRETRAIN.flags.backend.choices]).toEqual([...BACKEND_NAMES]);
    expect([...IMPORT.flags.columns.choices]).toEqual(Object.keys(COLUMN_PRESETS));
    expect(RETRAIN.flags.backend.choices).toBe(PRETRAIN.flags.backend.choices);
    expect([...ABLATION_ROW_IDS]).toEqual(ABLATION_ROWS.map((r) => r.id));
    expect(PUBLISH.flags["exact-threshold"].defaultText).toBe(String(DEFAULT_EXACT_THRESHOLD));
  });
});
