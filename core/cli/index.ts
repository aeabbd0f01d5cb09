// The CLI kit every verb uses: one table per verb (typed flags, sub-verbs, usage, examples) gives
// the parser, the typed values and the --help text; one UsageError; one error-to-exit-code path.
// Runtime-agnostic like the rest of core (its own small parser, not node:util's parseArgs; the
// environment is passed in), so every layer's CLI module may import it (DESIGN §1: all import core).
export { defineVerb, type ArgSpec, type ArgsOf, type Env, type FlagSpec, type FlagTable, type FlagValues, type Parsed, type SubverbSpec, type VerbSpec } from "./spec.ts";
export { parseArgv, wantsHelp } from "./parse.ts";
export { formatHelp, formatVerbList, usageLines, wrap } from "./help.ts";
export { formatCliError, reportCliError, runVerb, type VerbIo } from "./run.ts";
export { didYouMean, levenshtein } from "./suggest.ts";
export { UsageError, type UsageErrorCode } from "./usage-error.ts";
// The exit code of each error kind (core/errors.ts), for the dispatcher's own exits.
export { EXIT_CODES } from "../errors.ts";
