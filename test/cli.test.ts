import { spawnSync } from "node:child_process";
import { EXIT_CODES } from "../core/index.ts";
import { describe, expect, it } from "vitest";
import { VERBS } from "../bin/verbs.ts";

// Runs the real CLI entry (the npm bin shim) in a child process, as a user would.
function vitrine(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("vitrine CLI", () => {
  it("lists every planned verb", () => {
    const r = vitrine("--help");
    expect(r.code).toBe(0);
    for (const verb of ["import", "datasets", "pretrain", "finetune", "export", "embed", "publish", "eval", "serve", "demo", "retrain"]) {
      expect(r.out).toContain(verb);
    }
  });

  it("prints --help for every verb and exits 0", () => {
    for (const name of Object.keys(VERBS)) {
      const r = vitrine(name, "--help");
      expect(r.code, name).toBe(0);
      expect(r.out, name).toContain(`vitrine ${name}`);
    }
  });

  it("names the bad flag and exits 2", () => {
    const r = vitrine("import", "--catalog", "x.jsonl");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out DIR is required/);
    expect(vitrine("nonsense").code).toBe(2);
  });

  it("reports a missing catalog file as an error naming the path, with the 'missing' exit code", () => {
    const r = vitrine("import", "--catalog", "/nonexistent/catalog.jsonl", "--out", "/tmp/vitrine-cli-missing");
    expect(r.code).toBe(EXIT_CODES.missing);
    expect(r.err).toMatch(/SOURCE_MISSING: \/nonexistent\/catalog.jsonl: cannot read/);
  });
});
