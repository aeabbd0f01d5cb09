#!/usr/bin/env node
// The CLI: a thin dispatcher. Each verb's module is imported lazily (see verbs.ts).
import { exitCodeOf } from "../core/index.ts";
import { VERBS } from "./verbs.ts";

function listVerbs(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return `usage: vitrine <verb> [options]   (vitrine <verb> --help for its options)\n\n${lines.join("\n")}`;
}

/** Run the CLI with the arguments after the program name; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [verbName, ...rest] = argv;
  if (!verbName || verbName === "--help" || verbName === "-h" || verbName === "help") {
    console.log(listVerbs());
    return verbName ? 0 : 2;
  }
  const verb = VERBS[verbName];
  if (!verb) {
    console.error(`vitrine: unknown verb "${verbName}"\n\n${listVerbs()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(verb.usage);
    return 0;
  }
  const run = await verb.load();
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Central handler: typed errors of every layer carry a message meant for people, and their
    // kind decides the exit code (core/errors.ts EXIT_CODES).
    const e = err as Error & { code?: string };
    console.error(`vitrine: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`);
    if (process.env.VITRINE_DEBUG) console.error(e.stack);
    process.exitCode = exitCodeOf(err);
  },
);
