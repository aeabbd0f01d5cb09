// DESIGN §1's allowed-import table, enforced: every source file of core, ingest, datasets, lancedb,
// encoders, gpu-jobs, api and sdk is parsed and each import edge checked against the table.
// Skipped: *.test.ts files, and test support beside the code (test-support/, test-fixtures.ts,
// test-helpers.ts, ...) while only test code imports it (testOnlyFiles): tests may import anything
// (the table's last row), and such files never run in production. Today that skips only
// lancedb/test-fixtures.ts's import of ingest (it builds a store the way `vitrine import` does).
// A second rule, on every file of the repository, tests and benchmarks included (issue #11): another
// folder is imported through its entry, its index.ts or a declared sub-entry (SUB_ENTRIES in
// support/layering.ts), never past it; verb runners (RUNNERS) and test support are the exceptions.
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkEntries, checkFile, entryFor, extractImports, isTestCode, LAYERED, resolveImport, RUNNERS, SUB_ENTRIES, testOnlyFiles } from "./support/layering.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = /\.[cm]?[jt]sx?$/;

/** Every source file under `dir`, as a posix path relative to the repository root. */
function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith(".")) out.push(...sourcesUnder(path));
    else if (e.isFile() && SOURCE.test(e.name)) out.push(path);
  }
  return out;
}

function readSources(): Map<string, string> {
  // The importers of a support file can be anywhere (bin, bench, test), so the whole tree is read.
  const top = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith("."));
  const files = top.flatMap((e) => sourcesUnder(e.name));
  return new Map(files.map((f) => [f.split(sep).join("/"), readFileSync(join(ROOT, f), "utf8")]));
}

describe("layering (DESIGN §1)", () => {
  it("no file imports a folder the table forbids", () => {
    const sources = readSources();
    const skipped = testOnlyFiles(sources);
    const checked = [...sources.keys()].filter((f) => (LAYERED as readonly string[]).includes(f.split("/")[0]!) && !isTestCode(f) && !skipped.has(f));
    expect(checked.length).toBeGreaterThan(100); // the walk found the tree
    const violations = checked.flatMap((f) => checkFile(f, sources.get(f)!)).map((v) => v.message);
    expect(violations, `forbidden imports:\n${violations.join("\n")}`).toEqual([]);
  });

  it("the checker reports forbidden edges: static, type-only, re-export and dynamic, not comments", () => {
    const text = [
      `import { readEmbeddings } from "../gpu-jobs/embed/embed-catalog.ts";`,
      `import type { ReleaseInfo } from "../api/service/index.ts";`,
      `export { ingest } from "../ingest/import-data.ts";`,
      `import { createHashEncoder } from "../core/index.ts";`,
      `import { openStore } from "./connect.ts";`,
      `import * as lancedb from "@lancedb/lancedb";`,
      `// import "../api/http/app.ts" in a comment is not an import`,
      `const s = "import('../api/http/app.ts')";`,
      `export async function f() { return (await import("../encoders/onnx-model.ts")).openSession; }`,
    ].join("\n");
    expect(checkFile("lancedb/example.ts", text).map((v) => v.message)).toEqual([
      `lancedb/example.ts: import "../gpu-jobs/embed/embed-catalog.ts" — lancedb may not import gpu-jobs (DESIGN §1)`,
      `lancedb/example.ts: import "../api/service/index.ts" — lancedb may not import api (DESIGN §1)`,
      `lancedb/example.ts: import "../ingest/import-data.ts" — lancedb may not import ingest (DESIGN §1)`,
      `lancedb/example.ts: import "../encoders/onnx-model.ts" — lancedb may not import encoders (DESIGN §1)`,
    ]);
    expect(checkFile("core/jobs/x.ts", `import { z } from "zod";\nimport { qid } from "../qid.ts";\nimport { x } from "../../lancedb/index.ts";`).map((v) => v.to)).toEqual(["lancedb"]);
    expect(checkFile("gpu-jobs/jobs/x.ts", `import { JobConfigSchema } from "../../api/jobs/schemas.ts";`).map((v) => v.to)).toEqual(["api"]);
    expect(checkFile("api/x.ts", `const m = await import("../gpu-jobs/cli.ts");`).map((v) => v.to)).toEqual(["gpu-jobs"]);
  });

  it("sdk may reach api with `import type` only", () => {
    const ok = [`import type { AppRouter } from "../api/http/index.ts";`, `export type { JobEvent } from "../api/jobs/index.ts";`, `type R = import("../api/http/index.ts").AppRouter;`].join("\n");
    expect(checkFile("sdk/types.ts", ok)).toEqual([]);
    // `import { type X }` still loads the module under verbatimModuleSyntax, so it counts as a runtime import.
    const bad = `import { type AppRouter } from "../api/http/index.ts";\nimport { serveNode } from "../api/node/index.ts";\nimport type { Item } from "../core/index.ts";`;
    expect(checkFile("sdk/client.ts", bad).map((v) => v.message)).toEqual([
      `sdk/client.ts: import "../api/http/index.ts" — sdk may not import api (DESIGN §1)`,
      `sdk/client.ts: import "../api/node/index.ts" — sdk may not import api (DESIGN §1)`,
      `sdk/client.ts: import "../core/index.ts" — sdk may not import core (DESIGN §1)`,
    ]);
  });

  it("skips support files only while test code alone imports them", () => {
    const fixture = `import { importData } from "../ingest/import-data.ts";`;
    const tests = new Map([
      ["lancedb/test-fixtures.ts", fixture],
      ["lancedb/publish.test.ts", `import { makeShop } from "./test-fixtures.ts";`],
      ["bench/edge.ts", `import { makeShop } from "../lancedb/test-fixtures.ts";`],
      ["lancedb/publish.ts", `export const x = 1;`],
    ]);
    expect([...testOnlyFiles(tests)]).toEqual(["lancedb/test-fixtures.ts"]);
    const used = new Map([...tests, ["lancedb/cli.ts", `import { makeShop } from "./test-fixtures.ts";`]]);
    expect(testOnlyFiles(used).has("lancedb/test-fixtures.ts")).toBe(false);
    expect(checkFile("lancedb/test-fixtures.ts", fixture)).toHaveLength(1);
    // Production code that tests alone import by literal specifier (api/cli.ts loads it through a URL) is still checked.
    const byUrl = new Map([
      ["api/service/index.ts", `export * from "./types.ts";`],
      ["api/http/app.test.ts", `import { x } from "../service/index.ts";`],
    ]);
    expect(testOnlyFiles(byUrl).size).toBe(0);
  });

  it("every import of another folder goes through its entry (issue #11)", () => {
    const sources = readSources();
    const testOnly = testOnlyFiles(sources);
    const violations = [...sources].flatMap(([f, text]) => checkEntries(f, text, isTestCode(f) || testOnly.has(f))).map((v) => v.message);
    expect(violations, `imports past an entry:\n${violations.join("\n")}`).toEqual([]);
  });

  it("the entries and runners the rule names exist, and every layered folder but api has an index.ts", () => {
    const sources = readSources();
    const missing = [...Object.keys(SUB_ENTRIES), ...Object.keys(RUNNERS), ...LAYERED.filter((l) => l !== "api").map((l) => `${l}/index.ts`)].filter((f) => !sources.has(f));
    expect(missing).toEqual([]);
  });

  it("the entry checker reports bypassing, dynamic and type-only imports, naming the entry to use", () => {
    const text = [
      `import { createRng } from "../core/rng.ts";`,
      `export async function f() { return (await import("../encoders/onnx-model.ts")).openSession; }`,
      `import type { ImportSummary } from "../lancedb/import-manifest.ts";`,
      `type S = import("../lancedb/import-manifest.ts").ImportSummary;`,
      `export { JobConfigSchema } from "../core/jobs/schemas.ts";`,
      `import { EVAL } from "../core/cli/verbs/eval.ts";`,
      `import { queryId } from "../core/index.ts";`,
      `import { JOB_STAGES } from "../core/jobs/index.ts";`,
      `import { runVerb } from "../core/cli/index.ts";`,
      `import { openStore } from "../lancedb/index.ts";`,
      `import { helper } from "./local.ts";`,
      `import * as lancedb from "@lancedb/lancedb";`,
      `// import "../lancedb/connect.ts" in a comment is not an import`,
    ].join("\n");
    expect(checkEntries("gpu-jobs/example.ts", text).map((v) => v.message)).toEqual([
      `gpu-jobs/example.ts: import "../core/rng.ts" — import core through core/index.ts`,
      `gpu-jobs/example.ts: import "../encoders/onnx-model.ts" — import encoders through encoders/index.ts`,
      `gpu-jobs/example.ts: import "../lancedb/import-manifest.ts" — import lancedb through lancedb/index.ts`,
      `gpu-jobs/example.ts: import "../lancedb/import-manifest.ts" — import lancedb through lancedb/index.ts`,
      `gpu-jobs/example.ts: import "../core/jobs/schemas.ts" — import core through core/jobs/index.ts`,
      `gpu-jobs/example.ts: import "../core/cli/verbs/eval.ts" — import core through core/cli/verbs/index.ts`,
    ]);
    // Tests and benchmarks are held to it too (one public surface), and a folder's own files are not.
    expect(checkEntries("test/x.test.ts", `import { createRng } from "../core/rng.ts";`)).toHaveLength(1);
    expect(checkEntries("lancedb/x.test.ts", `import { queryId } from "../core/qid.ts";\nimport { openStore } from "./connect.ts";`).map((v) => v.to)).toEqual(["core"]);
    expect(checkEntries("core/cli/verbs/x.ts", `import { JOB_KINDS } from "../../jobs/constants.ts";`)).toEqual([]);
    expect(entryFor("api/http/router.ts")).toBe("api/http/index.ts");
    expect(entryFor("core/cli/verbs/serve.ts")).toBe("core/cli/verbs/index.ts");
    expect(entryFor("core/holdout.ts")).toBe("core/index.ts");
  });

  it("verb runners: bin loads them lazily, tests may import them, other folders may not", () => {
    const lazy = [`const m = await import("../gpu-jobs/cli.ts");`, `import type { ServingContext } from "../api/cli.ts";`].join("\n");
    expect(checkEntries("bin/verbs.ts", lazy)).toEqual([]);
    expect(checkEntries("bin/verbs.ts", `import { serveCommand } from "../api/cli.ts";`).map((v) => v.message)).toEqual([
      `bin/verbs.ts: import "../api/cli.ts" — api/cli.ts is the runner of vitrine serve (and the demo's server): bin loads it with a dynamic import(), when the verb runs`,
    ]);
    expect(checkEntries("test/x.test.ts", `import { publishCommand } from "../lancedb/cli.ts";`)).toEqual([]);
    expect(checkEntries("gpu-jobs/jobs/x.ts", `const m = await import("../../lancedb/cli.ts");`).map((v) => v.message)).toEqual([
      `gpu-jobs/jobs/x.ts: import "../../lancedb/cli.ts" — lancedb/cli.ts is the runner of vitrine publish, vitrine releases: only bin (lazily) and tests import it`,
    ]);
    // A file that is not in the table is no runner, however it is loaded.
    expect(checkEntries("bin/x.ts", `const m = await import("../lancedb/edge-cli.ts");`)).toHaveLength(1);
  });

  it("test support: tests may import it past the entry, production code may not", () => {
    const support = `import { memoryService } from "../api/http/test-support/memory-service.ts";\nimport { makeShop } from "../lancedb/test-fixtures.ts";`;
    expect(checkEntries("test/x.test.ts", support)).toEqual([]);
    expect(checkEntries("bench/x.ts", support)).toEqual([]);
    expect(checkEntries("bin/x.ts", support)).toHaveLength(2);
    // A support file only tests import counts as test code (the caller passes testCode).
    expect(checkEntries("gpu-jobs/train/test-catalog.ts", `import { importData } from "../../ingest/import-data.ts";`, true)).toHaveLength(1);
    expect(checkEntries("gpu-jobs/train/test-catalog.ts", `import { makeShop } from "../../lancedb/test-fixtures.ts";`, true)).toEqual([]);
  });

  it("within api/, subfolders reach each other through their index.ts (or their contract, types.ts)", () => {
    const inside = [
      `import { ServiceError } from "../service/types.ts";`,
      `import { createApp } from "../http/index.ts";`,
      `import { answerFromKv } from "./answer.ts";`,
      `import { jobDir } from "../jobs/job-store.ts";`,
      `import { toApiError } from "../http/errors.ts";`,
    ].join("\n");
    expect(checkEntries("api/edge/x.ts", inside).map((v) => v.message)).toEqual([
      `api/edge/x.ts: import "../jobs/job-store.ts" — another api/ subfolder is imported through api/jobs/index.ts (or its contract, types.ts)`,
      `api/edge/x.ts: import "../http/errors.ts" — another api/ subfolder is imported through api/http/index.ts (or its contract, types.ts)`,
    ]);
    expect(checkEntries("api/edge/x.test.ts", inside)).toEqual([]);
    expect(checkEntries("api/cli.ts", `import { createApp } from "./http/app.ts";`)).toHaveLength(1);
    const outside = [
      `import { serveNode } from "../api/node/index.ts";`,
      `import type { AppRouter } from "../api/http/router.ts";`,
      `import { createJobManager } from "../api/jobs/job-manager.ts";`,
      `import { ServiceError } from "../api/service/types.ts";`,
    ].join("\n");
    expect(checkEntries("bin/x.ts", outside).map((v) => v.spec)).toEqual(["../api/http/router.ts", "../api/jobs/job-manager.ts", "../api/service/types.ts"]);
  });

  it("the edge Worker loads no LanceDB: its static imports reach no lancedb/ file and no @lancedb package", () => {
    const sources = readSources();
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file) || !sources.has(file)) return;
      seen.add(file);
      for (const ref of extractImports(file, sources.get(file)!)) {
        if (ref.typeOnly) continue;
        const to = resolveImport(file, ref.spec);
        if (to === null) packages.add(ref.spec);
        else walk(to);
      }
    };
    walk("api/edge/worker.ts");
    expect(seen.has("core/edge-layout.ts")).toBe(true); // the KV layout, through core's entry
    expect([...seen].filter((f) => f.startsWith("lancedb/"))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith("@lancedb/"))).toEqual([]);
  });
});
