// DESIGN §1's allowed-import table, enforced: every source file of core, ingest, datasets, lancedb,
// encoders, gpu-jobs, api and sdk is parsed and each import edge checked against the table.
// Skipped: *.test.ts files, and test support beside the code (test-support/, test-fixtures.ts,
// test-helpers.ts, ...) while only test code imports it (testOnlyFiles): tests may import anything
// (the table's last row), and such files never run in production. Today that skips only
// lancedb/test-fixtures.ts's import of ingest (it builds a store the way `vitrine import` does).
// Within api/, a second check: code outside a subfolder (http, node, edge, service, jobs) reaches it
// through its index.ts only (see API_CONTRACTS in support/layering.ts for the one exception).
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkApiEntries, checkFile, isTestCode, LAYERED, testOnlyFiles } from "./support/layering.ts";

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
    const ok = [
      `import type { AppRouter } from "../api/http/index.ts";`,
      `export type { JobEvent } from "../api/jobs/index.ts";`,
      `type R = import("../api/http/index.ts").AppRouter;`,
    ].join("\n");
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
    const byUrl = new Map([["api/service/index.ts", `export * from "./types.ts";`], ["api/http/app.test.ts", `import { x } from "../service/index.ts";`]]);
    expect(testOnlyFiles(byUrl).size).toBe(0);
  });

  it("api/'s subfolders are imported through their index.ts (within api/, also their contract, types.ts)", () => {
    const sources = readSources();
    const violations = [...sources].flatMap(([f, text]) => checkApiEntries(f, text)).map((v) => v.message);
    expect(violations, `imports past an entry:\n${violations.join("\n")}`).toEqual([]);
  });

  it("the entry checker reports imports past an entry", () => {
    const outside = [
      `import { serveNode } from "../api/node/index.ts";`,
      `import { serveCommand } from "../api/cli.ts";`,
      `import type { AppRouter } from "../api/http/router.ts";`,
      `import { createJobManager } from "../api/jobs/job-manager.ts";`,
    ].join("\n");
    expect(checkApiEntries("bin/x.ts", outside).map((v) => v.spec)).toEqual(["../api/http/router.ts", "../api/jobs/job-manager.ts"]);
    expect(checkApiEntries("test/x.test.ts", `import { memoryService } from "../api/http/test-support/memory-service.ts";`)).toEqual([]);
    expect(checkApiEntries("bin/x.ts", `import { memoryService } from "../api/http/test-support/memory-service.ts";`)).toHaveLength(1);
    const inside = [
      `import { ServiceError } from "../service/types.ts";`,
      `import { createApp } from "../http/index.ts";`,
      `import { answerFromKv } from "./answer.ts";`,
      `import { jobDir } from "../jobs/job-store.ts";`,
      `import { toApiError } from "../http/errors.ts";`,
    ].join("\n");
    expect(checkApiEntries("api/edge/x.ts", inside).map((v) => v.message)).toEqual([
      `api/edge/x.ts: import "../jobs/job-store.ts" — another api/ subfolder is imported through its index.ts (or its contract, types.ts)`,
      `api/edge/x.ts: import "../http/errors.ts" — another api/ subfolder is imported through its index.ts (or its contract, types.ts)`,
    ]);
    expect(checkApiEntries("api/edge/x.test.ts", inside)).toEqual([]);
  });
});
