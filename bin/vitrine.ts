#!/usr/bin/env node
// The CLI entry: a thin dispatcher (dispatch.ts). Each verb's flags and help come from its table
// (core/cli/verbs/), and its module is imported only when it runs (verbs.ts).
import { main } from "./dispatch.ts";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // main reports everything; this is the last resort if reporting itself failed.
    console.error(err);
    process.exitCode = 1;
  },
);
