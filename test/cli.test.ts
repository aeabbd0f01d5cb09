import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../bin/dispatch.ts";
import { VERBS, type Verb } from "../bin/verbs.ts";
import { formatHelp } from "../core/cli/index.ts";
import { EXIT_CODES } from "../core/index.ts";
import { extractImports, resolveImport } from "./support/layering.ts";

// Runs the real CLI entry (the npm bin shim) in a child process, as a user would.
function vitrine(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/vitrine.js", ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The dispatcher in this process, its output captured. */
async function dispatch(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t), env: {} });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Replace every verb's loader with one that fails the test, so a test proves no verb module loads. */
const loaders = new Map<string, Verb["load"]>();
function forbidLoading(): void {
  for (const [name, verb] of Object.entries(VERBS)) {
    loaders.set(name, verb.load);
    verb.load = () => Promise.reject(new Error(`${name}'s module was loaded`));
  }
}
afterEach(() => {
  for (const [name, load] of loaders) VERBS[name]!.load = load;
  loaders.clear();
});

describe("vitrine CLI", () => {
  it("lists every planned verb, the exit codes, and --version", () => {
    const r = vitrine("--help");
    expect(r.code).toBe(0);
    for (const verb of ["import", "datasets", "pretrain", "finetune", "export", "embed", "publish", "eval", "serve", "demo", "retrain", "releases", "jobs"]) {
      expect(r.out).toMatch(new RegExp(`^  ${verb} +\\S`, "m"));
    }
    expect(r.out).toContain(`exit codes: 0 ok, 1 internal, 2 usage, 3 input, 4 missing, 5 conflict, 6 unavailable`);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    const v = vitrine("--version");
    expect(v).toMatchObject({ code: 0, out: `vitrine ${pkg.version}\n` });
  });

  it("prints every verb's --help from its table without loading the verb's module", async () => {
    forbidLoading();
    for (const [name, verb] of Object.entries(VERBS)) {
      for (const argv of [
        [name, "--help"],
        [name, "-h"],
        ["help", name],
        [name, "--data", "x", "--help"],
      ]) {
        const r = await dispatch(...argv);
        expect(r.err, argv.join(" ")).toBe("");
        expect(r.code, argv.join(" ")).toBe(0);
        expect(r.out).toBe(formatHelp(verb.spec));
        expect(r.out).toContain(`usage: vitrine ${name}`);
      }
    }
  });

  it("checks the command line against the table before the verb's module loads", async () => {
    forbidLoading();
    const r = await dispatch("pretrain", "--data", "x", "--stesp", "3");
    expect(r.code).toBe(EXIT_CODES.usage);
    expect(r.err).toBe("vitrine pretrain: unknown flag --stesp (did you mean --steps?)\n(see vitrine pretrain --help)");
    expect((await dispatch("releases", "activate", "latest", "--data", "x")).err).toMatch(/rNNN must be a release id like r003, got "latest"/);
    expect(await dispatch("eval", "--data", "x", "--ablations", "--preset", "huge")).toMatchObject({ code: EXIT_CODES.usage, err: expect.stringMatching(/--preset must be one of tiny, cpu, base/) });
  });

  it("refuses contradicting switches of a training choice, naming both", () => {
    const r = vitrine("pretrain", "--data", "x", "--cdns", "--no-cdns");
    expect(r.code).toBe(EXIT_CODES.usage);
    expect(r.err).toContain("--cdns and --no-cdns contradict each other; pass one");
  });

  it("suggests the verb meant, and rejects flags before a verb", async () => {
    const r = await dispatch("pubish", "--data", "x");
    expect(r).toMatchObject({ code: EXIT_CODES.usage, err: 'vitrine: unknown verb "pubish" (did you mean "publish"?)\n(see vitrine --help)' });
    expect((await dispatch("--verison")).err).toMatch(/unknown option --verison \(did you mean --version\?\)/);
    expect((await dispatch()).code).toBe(EXIT_CODES.usage); // no verb: the list, and a usage exit
  });

  it("names the bad flag and exits 2", () => {
    const r = vitrine("import", "--catalog", "x.jsonl");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out DIR is required/);
    expect(vitrine("nonsense").code).toBe(2);
  });

  it("read-only verbs refuse a data directory that does not exist, and do not create it (issue 13 F)", () => {
    const dir = "/tmp/vitrine-cli-no-such-dir/data";
    const r = vitrine("releases", "list", "--data", dir);
    expect(r.code).toBe(EXIT_CODES.missing);
    expect(r.err).toMatch(/STORE_MISSING: .*no such data directory; check --data/);
    expect(existsSync(dir)).toBe(false);
  });

  it("imports a Shopify export with --columns shopify, and without it names the missing columns and the flag (exit 3)", () => {
    const dir = mkdtempSync(join(tmpdir(), "vitrine-cli-shopify-"));
    try {
      const csv = join(dir, "products_export.csv");
      writeFileSync(csv, ["Handle,Title,Vendor,Type,Variant Price,Image Src", "red-dress,Red dress,Acme,Dresses,19.50,", "red-dress,,,,21.00,", "blue-bag,Blue bag,Acme,Bags,5,"].join("\n"));
      const bare = vitrine("import", "--catalog", csv, "--out", join(dir, "a"), "--no-images");
      expect(bare.code).toBe(EXIT_CODES.input);
      expect(bare.err).toMatch(/MISSING_COLUMNS: .*no "id" or "title" column .*add --columns shopify/);
      const mapped = vitrine("import", "--catalog", csv, "--out", join(dir, "b"), "--no-images", "--columns", "shopify");
      expect(mapped.code).toBe(0);
      expect(mapped.out).toMatch(/catalog\s+3\s+2\s+0/);
      expect(mapped.out).toMatch(/warning: 1 catalog rows repeated an earlier id/);
      expect(vitrine("import", "--catalog", csv, "--out", join(dir, "c"), "--map", "sku=Handle").err).toMatch(/unknown field "sku"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing source file as an error naming the path ('missing' exit code) before writing anything, so a complete import survives a typo", () => {
    const dir = mkdtempSync(join(tmpdir(), "vitrine-cli-missing-"));
    try {
      const fresh = join(dir, "fresh");
      const r = vitrine("import", "--catalog", "/nonexistent/catalog.jsonl", "--out", fresh);
      expect(r.code).toBe(EXIT_CODES.missing);
      expect(r.err).toMatch(/SOURCE_MISSING: \/nonexistent\/catalog.jsonl: cannot read/);
      expect(existsSync(fresh)).toBe(false);
      // A data directory with a complete import keeps it when a later import names a missing click log.
      const catalog = join(dir, "catalog.jsonl");
      writeFileSync(catalog, '{"id":"a","title":"red dress"}\n');
      const data = join(dir, "data");
      expect(vitrine("import", "--catalog", catalog, "--out", data, "--no-images").code).toBe(0);
      const manifest = readFileSync(join(data, "import.json"), "utf8");
      const typo = vitrine("import", "--catalog", catalog, "--clicks", join(dir, "clickz.jsonl"), "--out", data, "--no-images");
      expect(typo.code).toBe(EXIT_CODES.missing);
      expect(typo.err).toMatch(/clickz\.jsonl: cannot read/);
      expect(readFileSync(join(data, "import.json"), "utf8")).toBe(manifest);
      expect(JSON.parse(manifest).state).toBe("complete");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the verb list and the tables import no package and nothing outside core (so --help stays fast)", () => {
    // Walk the static, runtime imports of the dispatcher; the runners are dynamic imports and lazy.
    const root = fileURLToPath(new URL("..", import.meta.url));
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const ref of extractImports(file, readFileSync(`${root}/${file}`, "utf8"))) {
        if (ref.typeOnly || ref.dynamic) continue;
        const to = resolveImport(file, ref.spec);
        if (to === null) packages.add(ref.spec);
        else walk(to);
      }
    };
    walk("bin/dispatch.ts");
    expect([...packages]).toEqual(["node:fs"]);
    const outside = [...seen].filter((f) => !f.startsWith("core/") && !["bin/dispatch.ts", "bin/verbs.ts"].includes(f));
    expect(outside).toEqual([]);
    expect(seen.has("core/index.ts")).toBe(false); // core's index would load zod and the rest of core
    expect(seen.size).toBeLessThan(40);
  });
});
