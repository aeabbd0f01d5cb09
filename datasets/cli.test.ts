import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_CODES } from "../core/index.ts";
import { datasetsCommand, type CliIo } from "./cli.ts";
import { tempDir } from "./test-helpers.ts";

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: { write: (s: string) => (io.out += s) },
    stderr: { write: (s: string) => (io.err += s) },
  };
  return io;
}

describe("datasets CLI", () => {
  it("prints help with exit 0", async () => {
    const io = capture();
    expect(await datasetsCommand(["--help"], io)).toBe(0);
    expect(io.out).toContain("--title-attr-rate");
  });

  it.each([
    [["demo"], "--out"],
    [["demo", "--out", "x", "--items", "ten"], "--items"],
    [["demo", "--out", "x", "--seed", "-1"], "--seed"],
    [["demo", "--out", "x", "--title-attr-rate", "2"], "--title-attr-rate"],
    [["demo", "--out", "x", "--colour"], "--colour"],
    [["shoes", "--out", "x"], 'unknown dataset "shoes"'],
    [["demo", "--out", "x", "--source", "y"], '--source applies to "datasets fashion-mnist" only'],
    [["demo", "--out", "x", "--item", "3"], "did you mean --items?"],
  ])("rejects %j naming the problem, exit 2", async (argv, named) => {
    const io = capture();
    expect(await datasetsCommand(argv, io)).toBe(2);
    expect(io.err).toContain(named);
  });

  it("generates a small demo, shows progress and a summary", async () => {
    const t = await tempDir("cli");
    try {
      const io = capture();
      const out = join(t.dir, "demo");
      expect(await datasetsCommand(["demo", "--out", out, "--items", "30", "--seed", "3"], io)).toBe(0);
      expect(existsSync(join(out, "dataset.json"))).toBe(true);
      expect(io.err).toContain("images 30/30");
      expect(io.out).toMatch(/items\s+30/);
    } finally {
      await t.cleanup();
    }
  });

  it("exits 4 (missing) with the install hint when fashion-mnist is missing", async () => {
    const t = await tempDir("cli-fm");
    try {
      const io = capture();
      expect(await datasetsCommand(["fashion-mnist", "--out", join(t.dir, "o"), "--source", join(t.dir, "none")], io)).toBe(EXIT_CODES.missing);
      expect(io.err).toContain("apt-get install dataset-fashion-mnist");
    } finally {
      await t.cleanup();
    }
  });
});
