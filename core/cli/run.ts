// The one place a verb's failure becomes a message and an exit code. Every verb's runner goes
// through runVerb (help, parse, run), and the dispatcher (bin/vitrine.ts) formats what escapes with
// formatCliError, so every error of every layer exits by its kind (EXIT_CODES).
import { CodedError, EXIT_CODES, exitCodeOf } from "../errors.ts";
import { formatHelp } from "./help.ts";
import { parseArgv, wantsHelp } from "./parse.ts";
import type { Env, FlagTable, Parsed, VerbSpec } from "./spec.ts";

/** Where a verb writes and what it reads; console and no environment unless given. */
export interface VerbIo {
  /** Normal output (help). */
  out?: (text: string) => void;
  /** Errors. */
  err?: (text: string) => void;
  /** Environment: flags that name a variable read it; VITRINE_DEBUG adds stack traces. */
  env?: Env;
}

/**
 * How an error reads on the terminal. Usage errors (any layer's kind "usage") name the fix and point
 * at --help; other typed errors lead with their code; anything else is a bug and shows its message.
 */
export function formatCliError(err: unknown, verb?: string): string {
  const who = verb ? `vitrine ${verb}` : "vitrine";
  if (err instanceof CodedError) {
    if (err.kind === "usage") return `${who}: ${err.message}\n(see ${who} --help)`;
    return `${who}: ${err.code}: ${err.message}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `${who}: ${message}`;
}

/** Print an error (with its stack under VITRINE_DEBUG) and return its exit code. */
export function reportCliError(err: unknown, verb: string | undefined, io: VerbIo = {}): number {
  const write = io.err ?? ((t: string) => console.error(t));
  write(formatCliError(err, verb));
  if (io.env?.VITRINE_DEBUG && err instanceof Error && err.stack) write(err.stack);
  return exitCodeOf(err);
}

/**
 * Run one verb: `--help` prints the help generated from its table (exit 0); otherwise the command
 * line is parsed against the table and the body runs with typed values. Whatever the body throws
 * is reported here and exits by its kind; the body returns its own exit code otherwise.
 */
export async function runVerb<F extends FlagTable, S extends string>(
  spec: VerbSpec<F, S>,
  argv: readonly string[],
  body: (args: Parsed<F, S>) => Promise<number> | number,
  io: VerbIo = {},
): Promise<number> {
  try {
    if (wantsHelp(argv)) {
      (io.out ?? ((t: string) => console.log(t)))(formatHelp(spec));
      return EXIT_CODES.ok;
    }
    return await body(parseArgv(spec, argv, io.env ? { env: io.env } : {}));
  } catch (e) {
    return reportCliError(e, spec.name, io);
  }
}
