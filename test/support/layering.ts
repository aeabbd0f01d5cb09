// The allowed-import table of DESIGN §1 as data, and a pure checker over one file's text, so the
// layering test can scan the repository and a second test can prove the checker fails on a bad edge.
// Parsing uses the TypeScript compiler (a dev dependency) rather than regexes: comments, strings
// and type-position `import("x").T` are then told apart from real imports.
import { posix } from "node:path";
import ts from "typescript";

/** The folders the table constrains; bin, bench and test may import anything and are not listed. */
export const LAYERED = ["core", "ingest", "datasets", "lancedb", "encoders", "gpu-jobs", "api", "sdk"] as const;
export type Layer = (typeof LAYERED)[number];

/** DESIGN §1: what each folder may import at runtime (besides itself and packages). */
export const ALLOWED: Record<Layer, readonly string[]> = {
  core: [],
  ingest: ["core", "lancedb"],
  datasets: ["core", "lancedb"],
  lancedb: ["core"],
  encoders: ["core"],
  "gpu-jobs": ["core", "lancedb", "ingest", "datasets", "encoders"],
  api: ["core", "lancedb", "encoders"],
  sdk: [],
};

/** DESIGN §1: extra targets a folder may reach with type-only imports (erased at build time). */
export const TYPE_ONLY_ALLOWED: Partial<Record<Layer, readonly string[]>> = { sdk: ["api"] };

/** One import specifier found in a file. */
export interface ImportRef {
  spec: string;
  /** `import type`, `export type`, or `import("x").T` in a type position: erased, loads nothing. */
  typeOnly: boolean;
  /** `import("x")` as an expression. */
  dynamic: boolean;
}

/** One forbidden edge. */
export interface Violation {
  file: string;
  spec: string;
  from: string;
  to: string;
  message: string;
}

/** Every import specifier in a TypeScript source text: static, re-export, dynamic and type-position. */
export function extractImports(fileName: string, text: string): ImportRef[] {
  const kind = /\.[cm]?jsx?$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const refs: ImportRef[] = [];
  const literal = (node: ts.Node | undefined): string | null => (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : null);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const spec = literal(node.moduleSpecifier);
      // `import { type A } from "x"` still loads "x" under verbatimModuleSyntax; only `import type` is erased.
      if (spec !== null) refs.push({ spec, typeOnly: node.importClause?.isTypeOnly === true, dynamic: false });
    } else if (ts.isExportDeclaration(node)) {
      const spec = literal(node.moduleSpecifier);
      if (spec !== null) refs.push({ spec, typeOnly: node.isTypeOnly, dynamic: false });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const spec = literal(node.moduleReference.expression);
      if (spec !== null) refs.push({ spec, typeOnly: node.isTypeOnly, dynamic: false });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      const spec = ts.isLiteralTypeNode(arg) ? literal(arg.literal) : null;
      if (spec !== null) refs.push({ spec, typeOnly: true, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // A computed specifier (import(url.href)) cannot be resolved here; the table is about literal edges.
      const spec = literal(node.arguments[0]);
      if (spec !== null) refs.push({ spec, typeOnly: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** The top-level folder of a repository-relative path ("lancedb/cli.ts" → "lancedb"). */
export function topFolder(path: string): string {
  return posix.normalize(path).split("/")[0] ?? "";
}

/** The repository path a relative specifier reaches from `file`, or null for a package or node: builtin. */
export function resolveImport(file: string, spec: string): string | null {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null;
  const path = posix.join(posix.dirname(file), spec);
  // A file inside an installed package reached by a relative path (the Worker's jieba .wasm) is a package.
  return topFolder(path) === "node_modules" ? null : path;
}

/** The top-level folder a specifier reaches from `file`, or null for a package or node: builtin. */
export function targetFolder(file: string, spec: string): string | null {
  const path = resolveImport(file, spec);
  return path === null ? null : topFolder(path);
}

/** Test code, which may import anything: *.test.ts anywhere, and everything under test/ and bench/. */
export function isTestCode(file: string): boolean {
  return /\.test\.[cm]?[jt]sx?$/.test(file) || ["test", "bench"].includes(topFolder(file));
}

/** Named as test support: a folder or file name starting with `test-` (test-support/, test-fixtures.ts, ...). */
export function isSupportName(file: string): boolean {
  return file.split("/").some((part) => part.startsWith("test-"));
}

/**
 * Test support beside the code (fixtures, helpers) that only test code loads: named as support and
 * every importer is test code or other such support. It never runs in production, so, like tests, it
 * may import anything. Both conditions are needed: a module loaded through a computed URL (the API's
 * service module) has only test importers by literal specifier, yet is production code and is checked;
 * and a support file that production code imports is checked too. `sources`: repository path → text.
 */
export function testOnlyFiles(sources: ReadonlyMap<string, string>): Set<string> {
  const importers = new Map<string, Set<string>>();
  for (const [file, text] of sources) {
    for (const ref of extractImports(file, text)) {
      const to = resolveImport(file, ref.spec);
      if (to === null || !sources.has(to)) continue;
      if (!importers.has(to)) importers.set(to, new Set());
      importers.get(to)!.add(file);
    }
  }
  // Greatest fixpoint: start from every imported support file, drop any that other code still imports.
  const support = new Set([...importers.keys()].filter((f) => !isTestCode(f) && isSupportName(f)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of support) {
      if ([...importers.get(f)!].some((by) => !isTestCode(by) && !support.has(by))) {
        support.delete(f);
        changed = true;
      }
    }
  }
  return support;
}

/** The forbidden edges in one file (repository-relative path, posix separators) given its text. */
export function checkFile(file: string, text: string): Violation[] {
  const from = topFolder(file);
  if (!(LAYERED as readonly string[]).includes(from)) return [];
  const layer = from as Layer;
  const out: Violation[] = [];
  for (const ref of extractImports(file, text)) {
    const to = targetFolder(file, ref.spec);
    if (to === null || to === from) continue;
    if (ALLOWED[layer].includes(to)) continue;
    if (ref.typeOnly && TYPE_ONLY_ALLOWED[layer]?.includes(to)) continue;
    out.push({ file, spec: ref.spec, from, to, message: `${file}: import "${ref.spec}" — ${from} may not import ${to} (DESIGN §1)` });
  }
  return out;
}

/**
 * Each folder's public entries (issue #11): from outside a folder, only its index.ts is imported, or
 * one of the sub-entries below. A sub-entry is an index.ts with its own export list, kept apart from
 * the folder's index.ts because loading that one would pull code the importer must not load.
 */
export const SUB_ENTRIES: Readonly<Record<string, string>> = {
  "api/http/index.ts": "api has no index.ts: each subsystem is an entry (the Worker bundles http/ and edge/, never node/ or jobs/)",
  "api/node/index.ts": "the same: serveNode, on Node only",
  "api/edge/index.ts": "the same: the Worker's pieces",
  "api/service/index.ts": "the same: the retrieval service (LanceDB, ONNX)",
  "api/jobs/index.ts": "the same: the job manager and `vitrine retrain`",
  "core/cli/index.ts": "the CLI kit: the dispatcher loads it, and core/index.ts would load zod and jieba (test/cli.test.ts)",
  "core/cli/verbs/index.ts": "the verb tables, light for the same reason",
  "core/jobs/index.ts": "the jobs contract between the job manager (api/jobs) and the job process (gpu-jobs/jobs)",
};

/**
 * Verb runners: the module a verb runs, which bin/verbs.ts (and bin/demo.ts) load with a dynamic
 * import() only when that verb runs, so a verb loads only its own code (serve never loads TF.js, a
 * hash publish never loads ONNX Runtime). bin may reach them that way (or with `import type`), and
 * tests may import them; no other folder may (they are process entries, not libraries).
 */
export const RUNNERS: Readonly<Record<string, string>> = {
  "datasets/cli.ts": "vitrine datasets",
  "ingest/cli.ts": "vitrine import",
  "lancedb/cli.ts": "vitrine publish, vitrine releases",
  "lancedb/edge-command.ts": "vitrine edge",
  "gpu-jobs/cli.ts": "vitrine pretrain, finetune, export, embed",
  "gpu-jobs/eval/eval-command.ts": "vitrine eval",
  "gpu-jobs/jobs/run-job.ts": "vitrine job-run (the job process)",
  "api/cli.ts": "vitrine serve (and the demo's server)",
  "gpu-jobs/train/pretrain-worker.ts": "a pre-training worker thread (train/worker-group.ts starts it by URL through worker-boot.mjs)",
  "gpu-jobs/train/finetune-worker.ts": "a fine-tuning worker thread (started the same way)",
};

/**
 * Within api/, the portable layers (http, edge: the Worker bundles them) reach the Node-side
 * subsystems through their contract file, which loads no Node module; otherwise a subfolder reaches
 * another one through its index.ts, like any other folder.
 */
export const API_CONTRACTS: readonly string[] = ["api/service/types.ts", "api/jobs/types.ts"];

/** The api/ subfolder of a repository path ("api/http/app.ts" → "http"), or null (api/cli.ts, not api). */
function apiSubfolder(path: string): string | null {
  const parts = posix.normalize(path).split("/");
  return parts[0] === "api" && parts.length > 2 ? parts[1]! : null;
}

/** The entry that exports `path` to other folders: the deepest sub-entry whose folder holds it, else its folder's index.ts. */
export function entryFor(path: string): string {
  const holders = Object.keys(SUB_ENTRIES).filter((e) => path.startsWith(posix.dirname(e) + "/"));
  return holders.sort((a, b) => b.length - a.length)[0] ?? `${topFolder(path)}/index.ts`;
}

/**
 * Imports in `file` that bypass the entries of another folder (issue #11). Every kind counts:
 * static, re-export, dynamic, and type-only (one public surface, whether it is loaded or erased).
 * Allowed besides the entries: verb runners (RUNNERS) from bin lazily and from tests; and, from
 * test code (`testCode`: *.test.ts, test/, bench/, and support files that only tests import), test
 * support (test-support/, test-fixtures.ts, ...) anywhere. Inside api/, a subfolder reaching another
 * one is held to the same rule (API_CONTRACTS aside); tests beside api's code may reach any of it.
 */
export function checkEntries(file: string, text: string, testCode: boolean = isTestCode(file)): Violation[] {
  const from = topFolder(file);
  const out: Violation[] = [];
  for (const ref of extractImports(file, text)) {
    const to = resolveImport(file, ref.spec);
    if (to === null) continue;
    const toTop = topFolder(to);
    if (!(LAYERED as readonly string[]).includes(toTop)) continue;
    const entry = entryFor(to);
    if (to === entry || to === `${toTop}/index.ts`) continue;
    if (testCode && isSupportName(to)) continue;
    let rule: string;
    if (from === toTop) {
      // Within a folder only api/'s subfolders are entries to one another.
      const sub = apiSubfolder(to);
      if (from !== "api" || testCode || sub === null || apiSubfolder(file) === sub || API_CONTRACTS.includes(to)) continue;
      rule = `another api/ subfolder is imported through ${entry} (or its contract, types.ts)`;
    } else if (to in RUNNERS) {
      if (testCode || (from === "bin" && (ref.dynamic || ref.typeOnly))) continue;
      rule =
        from === "bin"
          ? `${to} is the runner of ${RUNNERS[to]}: bin loads it with a dynamic import(), when the verb runs`
          : `${to} is the runner of ${RUNNERS[to]}: only bin (lazily) and tests import it`;
    } else {
      rule = `import ${toTop} through ${entry}`;
    }
    out.push({ file, spec: ref.spec, from, to: toTop, message: `${file}: import "${ref.spec}" — ${rule}` });
  }
  return out;
}
