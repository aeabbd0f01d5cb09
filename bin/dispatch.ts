// The dispatcher behind bin/vitrine.ts: `vitrine --help | --version`, `vitrine help <verb>`,
// `vitrine <verb> --help` (from the verb's table, without loading its module), then the command
// line checked against the table before the verb's module loads (a typo fails in milliseconds, not
// after TF.js started), then the verb. Every failure goes through the one reporter (core/cli
// reportCliError): a message that names the fix, and the exit code of its kind (EXIT_CODES).
import { readFileSync } from "node:fs";
import { didYouMean, EXIT_CODES, formatHelp, formatVerbList, parseArgv, reportCliError, UsageError, wantsHelp, type VerbIo } from "../core/cli/index.ts";
import { VERBS, type Verb } from "./verbs.ts";

/** The version in package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

const verbList = () => formatVerbList(Object.values(VERBS).map((v) => v.spec));

function findVerb(name: string): Verb {
  const verb = Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
  if (verb) return verb;
  const near = didYouMean(name, Object.keys(VERBS));
  throw new UsageError("UNKNOWN_VERB", `unknown verb "${name}"${near ? ` (did you mean "${near}"?)` : ""}`);
}

/** Run the CLI with the words after the program name; resolves to the exit code. */
export async function main(argv: readonly string[], io: VerbIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => console.log(t));
  const env = io.env ?? process.env;
  const [first, ...rest] = argv;
  let verbName: string | undefined;
  try {
    if (first === undefined) {
      out(verbList());
      return EXIT_CODES.usage;
    }
    if (first === "--help" || first === "-h" || (first === "help" && rest.length === 0)) {
      out(verbList());
      return EXIT_CODES.ok;
    }
    if (first === "--version" || first === "-v") {
      out(`vitrine ${version()}`);
      return EXIT_CODES.ok;
    }
    if (first === "help") {
      out(formatHelp(findVerb(rest[0]!).spec));
      return EXIT_CODES.ok;
    }
    if (first.startsWith("-")) {
      const near = didYouMean(first.replace(/^-+/, ""), ["help", "version"]);
      throw new UsageError("UNKNOWN_FLAG", `unknown option ${first}${near ? ` (did you mean --${near}?)` : ""}; a verb comes first: vitrine <verb> [options]`);
    }
    const verb = findVerb(first);
    verbName = first;
    if (wantsHelp(rest)) {
      out(formatHelp(verb.spec));
      return EXIT_CODES.ok;
    }
    // Checked here against the light table; the runner parses again with the same table.
    parseArgv(verb.spec, rest, { env });
    const run = await verb.load();
    return await run(rest);
  } catch (e) {
    return reportCliError(e, verbName, { ...io, env });
  }
}
