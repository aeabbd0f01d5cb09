// Runs the named benchmarks (default: all) one after another: `npm run bench -- import retrieve`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const all = readdirSync(join(process.cwd(), "bench"))
  .filter((f) => f.endsWith(".ts") && !["run.ts", "bench-utils.ts"].includes(f) && !f.endsWith(".test.ts"))
  .map((f) => f.slice(0, -3));
const args = process.argv.slice(2);
// Flags go to every benchmark; `--flag value` keeps its value unless the value names a benchmark.
const names: string[] = [];
const flags: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (!arg.startsWith("-")) names.push(arg);
  else {
    flags.push(arg);
    const next = args[i + 1];
    if (!arg.includes("=") && next !== undefined && !next.startsWith("-") && !all.includes(next)) flags.push(args[++i]!);
  }
}
const chosen = names.length ? names : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}"; have: ${all.join(", ")}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join("bench", `${name}.ts`), ...flags], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
