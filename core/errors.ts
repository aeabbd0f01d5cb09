// The one error base class. Every layer's typed error extends CodedError with its own code union and
// classifies each code into an ErrorKind; the two edges of the system map kinds, not classes:
// the HTTP layer to a status (api/http errors) and the CLI to an exit code (EXIT_CODES below).

/** What a failure means to whoever called, whatever layer raised it. */
export type ErrorKind =
  /** The command line or request itself is wrong (unknown flag, value out of range). */
  | "usage"
  /** The data given is wrong (a catalog file, a config file, vectors, a field of a request). */
  | "input"
  /** Something needed is not there (store, release, checkpoint, dataset files). */
  | "missing"
  /** The state forbids it now (another publish won, the job is not resumable). */
  | "conflict"
  /** A dependency is unavailable (backend, encoder, remote service); retrying may work. */
  | "unavailable"
  /** A bug or an unclassified failure. */
  | "internal";

/** Process exit code of each kind (and 0 for success): one convention for every verb. */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  missing: 4,
  conflict: 5,
  unavailable: 6,
} as const satisfies Record<ErrorKind | "ok", number>;

/** Base of every typed error: a code from its layer's union, a message that says the fix, the cause kept. */
export abstract class CodedError<C extends string = string> extends Error {
  constructor(
    /** Stable machine-readable code. */
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The kind of failure the code is (decides HTTP status and exit code). */
  abstract get kind(): ErrorKind;
}

/** The exit code for anything thrown out of a CLI verb. */
export function exitCodeOf(err: unknown): number {
  return err instanceof CodedError ? EXIT_CODES[err.kind] : EXIT_CODES.internal;
}

/** Error codes the core layer raises; each maps to a 4xx at the API. */
export type CoreErrorCode = "INVALID_INPUT" | "INVALID_FILTER" | "SEGMENTER_UNAVAILABLE";

const CORE_KINDS: Record<CoreErrorCode, ErrorKind> = { INVALID_INPUT: "input", INVALID_FILTER: "input", SEGMENTER_UNAVAILABLE: "unavailable" };

/** The one typed error of the core layer: a code, the offending field, and a message that says the fix. */
export class CoreError extends CodedError<CoreErrorCode> {
  override readonly name = "CoreError";
  constructor(
    code: CoreErrorCode,
    message: string,
    /** Dotted path of the offending field, when one is to blame. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  get kind(): ErrorKind {
    return CORE_KINDS[this.code];
  }
}
