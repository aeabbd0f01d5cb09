// The CLI kit: one table gives typed, checked values, errors that name the flag and the fix (with a
// near miss), the --help text, and the exit code of whatever a verb throws.
import { describe, expect, it } from "vitest";
import { CodedError, EXIT_CODES, type ErrorKind } from "../errors.ts";
import { defineVerb, didYouMean, formatCliError, formatHelp, formatVerbList, levenshtein, parseArgv, runVerb, UsageError, wantsHelp } from "./index.ts";

const TOY = defineVerb({
  name: "toy",
  summary: "a verb for tests",
  subverbNoun: "action",
  defaultSubverb: "show",
  subverbs: {
    show: { summary: "show things" },
    make: { summary: "make one", args: [{ name: "ID", pattern: /^t\d+$/, expect: "an id like t1" }] },
  },
  flags: {
    data: { type: "string", value: "DIR", required: true, help: "where things are" },
    steps: { type: "int", min: 1, max: 100, default: 10, help: "how many steps" },
    rate: { type: "number", min: 0, max: 1, maxExclusive: true, help: "a share" },
    mode: { type: "enum", choices: ["fast", "slow"], default: "fast", help: "how" },
    seeds: { type: "list", of: "int", min: 0, value: "a,b", requires: "deep", help: "seeds" },
    tag: { type: "string", multiple: true, help: "a tag", group: "labels" },
    key: { type: "string", value: "KEY", env: "TOY_KEY", help: "a key" },
    deep: { type: "boolean", help: "go deep" },
    force: { type: "boolean", subverbs: ["make"], help: "overwrite" },
  },
  examples: ["vitrine toy make t1 --data d --force"],
  retired: { shallow: "shallow is the default now; --deep goes deep" },
});

const usageMessage = (argv: string[], env = {}) => {
  try {
    parseArgv(TOY, argv, { env });
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return `${(e as UsageError).code}: ${(e as Error).message}`;
  }
  throw new Error(`parsed: ${argv.join(" ")}`);
};

describe("parseArgv", () => {
  it("returns typed values, defaults, env and the sub-verb", () => {
    const r = parseArgv(TOY, ["make", "t7", "--data", "d", "--steps=5", "--rate", "0.25", "--mode", "slow", "--tag", "a", "--tag", "b", "--deep", "--seeds", "1, 2,3", "--force"], {
      env: { TOY_KEY: "k" },
    });
    expect(r.subverb).toBe("make");
    expect(r.args).toEqual(["t7"]);
    expect(r.values).toEqual({ data: "d", steps: 5, rate: 0.25, mode: "slow", seeds: [1, 2, 3], tag: ["a", "b"], key: "k", deep: true, force: true });
    expect([...r.given].sort()).toEqual(["data", "deep", "force", "mode", "rate", "seeds", "steps", "tag"]);
    const d = parseArgv(TOY, ["--data", "d"]);
    expect(d.subverb).toBe("show");
    expect(d.values).toMatchObject({ steps: 10, mode: "fast", rate: undefined, key: undefined, deep: false, tag: undefined });
    // A flag beats its variable; `--` ends the flags; a negative number is a value.
    expect(parseArgv(TOY, ["--data", "d", "--key", "flag"], { env: { TOY_KEY: "env" } }).values.key).toBe("flag");
    expect(parseArgv(TOY, ["make", "--data", "d", "--", "t2"]).args).toEqual(["t2"]);
    expect(usageMessage(["--data", "d", "--steps", "-3"])).toMatch(/--steps must be a whole number in 1\.\.100, got "-3"/);
  });

  it.each([
    [["--data", "d", "--stesp", "3"], /^UNKNOWN_FLAG: unknown flag --stesp \(did you mean --steps\?\)$/],
    [["--data", "d", "--frobnicate"], /^UNKNOWN_FLAG: unknown flag --frobnicate$/],
    [["--data", "d", "--shallow"], /^UNKNOWN_FLAG: --shallow was removed: shallow is the default now; --deep goes deep$/],
    [["--data", "d", "-x"], /^UNKNOWN_FLAG: unknown flag -x/],
    [["--data", "d", "--steps", "ten"], /^BAD_FLAG: --steps must be a whole number in 1\.\.100, got "ten"$/],
    [["--data", "d", "--steps", "2.5"], /--steps must be a whole number/],
    [["--data", "d", "--rate", "1"], /^BAD_FLAG: --rate must be a number in \[0, 1\), got "1"$/],
    [["--data", "d", "--mode", "slwo"], /^BAD_FLAG: --mode must be fast or slow, got "slwo" \(did you mean "slow"\?\)$/],
    [["--data", "d", "--deep", "--seeds", "1,x"], /^BAD_FLAG: --seeds must be a whole number ≥ 0 each, got "x"$/],
    [["--data", "d", "--seeds", "1"], /^BAD_FLAG: --seeds only applies with --deep$/],
    [["--data", "d", "--force"], /^BAD_FLAG: --force applies to "toy make" only$/],
    [["--data", "d", "--deep=yes"], /^BAD_FLAG: --deep is a switch and takes no value/],
    [["--data"], /^BAD_FLAG: --data needs a value: --data DIR$/],
    [["--data", "--deep"], /^BAD_FLAG: --data needs a value: --data DIR \(a value starting with "-" goes as --data=--deep\)$/],
    [[], /^MISSING_FLAG: --data DIR is required: where things are$/],
    [["mak", "--data", "d"], /^BAD_ARGUMENT: unknown action "mak"; choose show or make \(did you mean "make"\?\)$/],
    [["make", "--data", "d"], /^BAD_ARGUMENT: toy make needs ID: an id like t1$/],
    [["make", "x1", "--data", "d"], /^BAD_ARGUMENT: toy make: ID must be an id like t1, got "x1"$/],
    [["show", "extra", "--data", "d"], /^BAD_ARGUMENT: unexpected argument "extra"$/],
  ])("%j → a UsageError naming the problem", (argv, message) => {
    expect(usageMessage(argv)).toMatch(message);
  });

  it("checks values from the environment too, naming the variable", () => {
    const strict = defineVerb({ name: "s", summary: "s", flags: { port: { type: "int", min: 0, max: 65_535, env: "S_PORT", help: "port" } } });
    expect(parseArgv(strict, [], { env: { S_PORT: "80" } }).values.port).toBe(80);
    expect(() => parseArgv(strict, [], { env: { S_PORT: "eighty" } })).toThrow(/^S_PORT \(for --port\) must be a whole number in 0\.\.65535, got "eighty"$/);
  });

  it("finds --help and -h before --", () => {
    expect(wantsHelp(["--data", "x", "-h"])).toBe(true);
    expect(wantsHelp(["--help"])).toBe(true);
    expect(wantsHelp(["--", "--help"])).toBe(false);
    // Help is the caller's: the parser steps over it.
    expect(parseArgv(TOY, ["--data", "d", "--help"]).values.data).toBe("d");
  });
});

describe("did you mean", () => {
  it("measures edits and suggests only near misses", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("", "abc")).toBe(3);
    expect(levenshtein("same", "same")).toBe(0);
    expect(didYouMean("pubish", ["publish", "releases", "serve"])).toBe("publish");
    expect(didYouMean("relases", ["publish", "releases"])).toBe("releases");
    expect(didYouMean("exp", ["export", "embed", "eval"])).toBe("export"); // the only one it starts
    expect(didYouMean("bogus", ["blend", "top-k", "data"])).toBeUndefined();
  });
});

describe("help generated from the table", () => {
  const help = formatHelp(TOY);

  it("shows usage, sub-verbs, every flag with what the table knows, groups and examples", () => {
    expect(help).toMatch(/^usage: vitrine toy show --data DIR \[options\]\n {7}vitrine toy make ID --data DIR \[options\]/);
    expect(help).toMatch(/actions \(default show\):\n {2}show +show things\n {2}make ID +make one/);
    expect(help).toMatch(/--data DIR +where things are \(required\)/);
    expect(help).toMatch(/--steps N +how many steps \(1\.\.100; default 10\)/);
    expect(help).toMatch(/--rate X +a share \(\[0, 1\)\)/);
    expect(help).toMatch(/--mode fast\|slow +how \(default fast\)/);
    expect(help).toMatch(/--seeds a,b +seeds \(each ≥\u00a00; with --deep\)/);
    expect(help).toMatch(/--key KEY +a key \(env TOY_KEY\)/);
    expect(help).toMatch(/--force +overwrite \(make only\)/);
    expect(help).toMatch(/-h, --help +show this help/);
    expect(help).toMatch(/labels:\n {2}--tag VALUE +a tag \(repeatable\)/);
    expect(help).toMatch(/examples:\n {2}vitrine toy make t1 --data d --force$/);
    for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it("lists verbs with the exit codes", () => {
    const list = formatVerbList([TOY]);
    expect(list).toMatch(/vitrine --version \| --help/);
    expect(list).toMatch(/^ {2}toy {2}a verb for tests$/m);
    expect(list).toContain("exit codes: 0 ok, 1 internal, 2 usage, 3 input, 4 missing, 5 conflict, 6 unavailable");
  });
});

describe("runVerb", () => {
  class Gone extends CodedError<"GONE"> {
    get kind(): ErrorKind {
      return "missing";
    }
  }
  const capture = () => {
    const io = { outText: [] as string[], errText: [] as string[], out: (t: string) => void io.outText.push(t), err: (t: string) => void io.errText.push(t), env: {} };
    return io;
  };

  it("prints help (exit 0) without running the body", async () => {
    const io = capture();
    expect(await runVerb(TOY, ["--help"], () => Promise.reject(new Error("ran")), io)).toBe(EXIT_CODES.ok);
    expect(io.outText.join("")).toBe(help());
  });

  it("runs the body with typed values and returns its code", async () => {
    const io = capture();
    expect(await runVerb(TOY, ["--data", "d", "--steps", "3"], ({ values }) => values.steps * 2, io)).toBe(6);
  });

  it("exits by the kind of what is thrown, with one message each", async () => {
    const cases: [unknown, number, RegExp][] = [
      [null, EXIT_CODES.usage, /^vitrine toy: --data DIR is required: where things are\n\(see vitrine toy --help\)$/],
      [new Gone("GONE", "no such thing"), EXIT_CODES.missing, /^vitrine toy: GONE: no such thing$/],
      [new UsageError("BAD_FLAG", "--steps and --deep disagree"), EXIT_CODES.usage, /^vitrine toy: --steps and --deep disagree\n\(see vitrine toy --help\)$/],
      [new Error("a bug"), EXIT_CODES.internal, /^vitrine toy: a bug$/],
    ];
    for (const [thrown, code, message] of cases) {
      const io = capture();
      const argv = thrown === null ? [] : ["--data", "d"];
      expect(await runVerb(TOY, argv, () => Promise.reject(thrown), io)).toBe(code);
      expect(io.errText).toHaveLength(1); // one write: callers that collect lines see one message
      expect(io.errText[0]).toMatch(message);
    }
  });

  it("adds the stack under VITRINE_DEBUG", async () => {
    const io = { ...capture(), env: { VITRINE_DEBUG: "1" } };
    await runVerb(TOY, ["--data", "d"], () => Promise.reject(new Error("a bug")), io);
    expect(io.errText[1]).toMatch(/^Error: a bug\n\s+at /);
  });

  it("formats errors outside a verb", () => {
    expect(formatCliError(new UsageError("UNKNOWN_VERB", 'unknown verb "x"'))).toBe('vitrine: unknown verb "x"\n(see vitrine --help)');
  });
});

function help(): string {
  return formatHelp(TOY);
}
