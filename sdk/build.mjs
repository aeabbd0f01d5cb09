// Builds the @vitrine/sdk package: dist/index.js (ESM), dist/index.cjs (CommonJS), one
// self-contained declaration file (dist/index.d.ts, copied to index.d.cts for `require`) and the
// server's router type for the `@vitrine/sdk/router` entry (dist/router.d.ts and router.d.cts).
//
//   node sdk/build.mjs [--outdir DIR]      (npm run build -w sdk, npm run sdk:build, npm pack -w sdk)
//
// JS: esbuild bundles sdk/index.ts with tRPC's client inside (@trpc/client and the parts of
// @trpc/server it loads: error codes, observables, the stream reader), so an app installs no tRPC
// package and so no TypeScript, which both declare a required peer; their MIT notice heads the
// bundle. The package's dependencies (eventsource) stay external, and the build fails if anything
// else from outside sdk/ (server code, another package, tRPC's server runtime) would be bundled.
// Types: sdk/types.ts and sdk/job-types.ts derive the public types from the server's AppRouter;
// materialize-types.mjs writes each out in full (a TypeScript program over the server's source), the
// other sdk files' declarations come from isolated declaration emit, and all are merged into one
// module with index.ts's exports, checked to compile on their own and to equal the types they were
// written from. The router entry is TypeScript's declaration emit of api/http/router.ts with the server's
// types replaced by the public ones (see routerDeclarations), checked against the server's router.
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import ts from "typescript";
import { materializeTypes } from "./materialize-types.mjs";

const SDK = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(SDK);
const ENTRY = join(SDK, "index.ts");
/** Files whose exported types are written out from the server's (see materialize-types.mjs). */
const DERIVED = [join(SDK, "types.ts"), join(SDK, "job-types.ts")];
/** The server's router: its type is published as `@vitrine/sdk/router` (dist/router.d.ts). */
const ROUTER = join(ROOT, "api", "http", "router.ts");
/** Packages bundled into dist (sdk/package.json's devDependencies, pinned to the installed version). */
const BUNDLED = ["@trpc/client", "@trpc/server"];
/** Modules of BUNDLED that are tRPC's server runtime: none of their code may reach the bundle. */
const SERVER_RUNTIME = /@trpc\/server\/dist\/(initTRPC|contentTypeParsers|parseTRPCMessage|adapters)/;

/** Build the package into `outdir` (default sdk/dist); returns the files written and their sizes. */
export async function buildSdk(outdir = join(SDK, "dist")) {
  const pkg = JSON.parse(await readFile(join(SDK, "package.json"), "utf8"));
  const external = Object.keys(pkg.dependencies ?? {});
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });

  const notices = await bundledNotices(pkg);
  for (const [format, file] of [
    ["esm", "index.js"],
    ["cjs", "index.cjs"],
  ]) {
    const result = await build({
      entryPoints: [ENTRY],
      outfile: join(outdir, file),
      bundle: true,
      format,
      platform: "neutral",
      target: "es2020",
      external,
      mainFields: ["module", "main"],
      // Module comments in the bundle name paths from the repository root, however the build is run.
      absWorkingDir: ROOT,
      preserveSymlinks: true,
      metafile: true,
      legalComments: "none",
      logLevel: "silent",
      banner: { js: `// ${pkg.name} ${pkg.version}\n${notices}` },
    });
    const inputs = Object.keys(result.metafile.inputs);
    const allowed = (p) => resolve(ROOT, p).startsWith(SDK + "/") || BUNDLED.some((b) => p.startsWith(`node_modules/${b}/`));
    const foreign = inputs.filter((p) => !allowed(p));
    if (foreign.length > 0) throw new Error(`the ${format} bundle would contain code from outside sdk/ and ${BUNDLED.join(", ")}: ${foreign.join(", ")}`);
    const output = Object.values(result.metafile.outputs)[0];
    const server = Object.entries(output.inputs).filter(([p, v]) => v.bytesInOutput > 0 && SERVER_RUNTIME.test(p));
    if (server.length > 0) throw new Error(`the ${format} bundle would contain tRPC's server runtime: ${server.map(([p]) => p).join(", ")}`);
  }

  const title = `${pkg.name} ${pkg.version}`;
  const program = createServerProgram([...DERIVED, ROUTER]);
  const { declarations: derived, nameOf } = materializeTypes(program, DERIVED);
  const dts = await bundleDeclarations(ENTRY, title, derived);
  checkDeclarations(dts);
  const router = routerDeclarations(program, nameOf, title);
  checkPublished(dts, router.esm, derived, program);
  await writeFile(join(outdir, "index.d.ts"), dts);
  await writeFile(join(outdir, "index.d.cts"), dts);
  await writeFile(join(outdir, "router.d.ts"), router.esm);
  await writeFile(join(outdir, "router.d.cts"), router.cjs);

  const files = ["index.js", "index.cjs", "index.d.ts", "index.d.cts", "router.d.ts", "router.d.cts"];
  return Promise.all(files.map(async (f) => ({ file: join(outdir, f), bytes: (await stat(join(outdir, f))).size })));
}

/**
 * The license notices of the bundled packages, as one comment; each must be installed at the
 * version sdk/package.json pins (devDependencies), so what is bundled is what the package says.
 */
async function bundledNotices(pkg) {
  const texts = new Map(); // license text → packages
  for (const name of BUNDLED) {
    const dir = join(ROOT, "node_modules", name);
    const installed = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    const pinned = pkg.devDependencies?.[name];
    if (pinned !== installed.version) throw new Error(`${name}: sdk/package.json pins ${pinned ?? "nothing"} (devDependencies) but ${installed.version} is installed`);
    const text = (await readFile(join(dir, "LICENSE"), "utf8")).trim();
    texts.set(text, [...(texts.get(text) ?? []), `${name} ${installed.version}`]);
  }
  return [...texts]
    .map(
      ([text, names]) =>
        `/*!\n * Bundled: ${names.join(", ")} (${text.split("\n")[0].trim()})\n *\n${text
          .split("\n")
          .map((l) => ` * ${l}`.trimEnd())
          .join("\n")}\n */`,
    )
    .join("\n");
}

/**
 * A program over `roots` with the repository's compiler options (tsconfig.json), able to emit
 * declarations; throws on a type error in a root.
 */
function createServerProgram(roots) {
  const options = { ...projectOptions(), noEmit: false, declaration: true, emitDeclarationOnly: true };
  const program = ts.createProgram({ rootNames: roots, options });
  const files = roots.map((f) => program.getSourceFile(f));
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...files.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)])];
  if (diagnostics.length > 0) throw new Error(`type errors:\n${formatDiagnostics(diagnostics)}`);
  return program;
}

function projectOptions() {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  };
  return ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), {}, host).options;
}

function formatDiagnostics(diagnostics) {
  return diagnostics
    .map((d) => {
      const at = d.file && d.start !== undefined ? `${relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
      return at + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    })
    .join("\n");
}

const COMPILER_OPTIONS = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, strict: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true };

function hasExport(node) {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isRelative(specifier) {
  return specifier.startsWith("./") || specifier.startsWith("../");
}

/**
 * The declarations of one source file, parsed; throws on anything the merge cannot represent. A
 * DERIVED file's are the types materialize-types.mjs wrote out (its imports reach the server).
 */
async function declarationsOf(file, derived) {
  if (DERIVED.includes(file)) {
    const text = derived
      .filter((d) => d.file === file)
      .map((d) => d.text.replace(/^(interface|type) /m, "export $1 "))
      .join("\n");
    return ts.createSourceFile(file.replace(/\.ts$/, ".d.ts"), text, ts.ScriptTarget.Latest, true);
  }
  const text = await readFile(file, "utf8");
  const out = ts.transpileDeclaration(text, { fileName: file, reportDiagnostics: true, compilerOptions: COMPILER_OPTIONS });
  if (out.diagnostics?.length) {
    const msgs = out.diagnostics.map((d) => `${relative(SDK, file)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    throw new Error(`declaration emit failed (exported API needs explicit types):\n${msgs.join("\n")}`);
  }
  return ts.createSourceFile(file.replace(/\.ts$/, ".d.ts"), out.outputText, ts.ScriptTarget.Latest, true);
}

/**
 * Merge the declarations of `entry` and every sdk file it reaches into one module: relative
 * imports and re-exports dissolve, `export` modifiers go, and one export list (what `entry`
 * exports) closes the file. A non-relative import (another package's types) is refused: the
 * published types must stand alone.
 */
async function bundleDeclarations(entry, title, derived) {
  const files = new Map(); // source path → parsed declarations
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift();
    if (files.has(file)) continue;
    const sf = await declarationsOf(file, derived);
    files.set(file, sf);
    for (const st of sf.statements) {
      const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : null;
      if (spec === null) continue;
      if (!isRelative(spec)) throw new Error(`${relative(SDK, file)}: the published types would import "${spec}"; derive the type in sdk/types.ts`);
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SDK + "/")) throw new Error(`${relative(SDK, file)}: the published types would reach outside sdk/ ("${spec}")`);
      queue.push(target);
    }
  }

  // What each file exports: name → whether it is a value (class, function, variable) or a type only.
  const exportsOf = (file, seen = new Set()) => {
    const names = new Map();
    if (seen.has(file)) return names;
    seen.add(file);
    const sf = files.get(file);
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st)) {
        const from = exportsOf(resolve(dirname(file), st.moduleSpecifier.text), seen);
        if (!st.exportClause) {
          for (const [n, value] of from) names.set(n, value && !st.isTypeOnly);
        } else if (ts.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) {
            const source = (el.propertyName ?? el.name).text;
            if (!from.has(source)) throw new Error(`${relative(SDK, file)}: "${source}" is not exported by ${st.moduleSpecifier.text}`);
            if (el.propertyName) throw new Error(`${relative(SDK, file)}: renamed re-exports (${source} as ${el.name.text}) are not supported`);
            names.set(el.name.text, from.get(source) && !st.isTypeOnly && !el.isTypeOnly);
          }
        } else {
          throw new Error(`${relative(SDK, file)}: namespace re-exports are not supported`);
        }
      } else if (ts.isExportAssignment(st)) {
        throw new Error(`${relative(SDK, file)}: default exports are not supported`);
      } else if (hasExport(st)) {
        const value = ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st) || ts.isVariableStatement(st) || ts.isEnumDeclaration(st);
        const declared = ts.isVariableStatement(st) ? st.declarationList.declarations.map((d) => d.name.getText(sf)) : [st.name.text];
        for (const n of declared) names.set(n, value);
      }
    }
    return names;
  };
  const publicNames = exportsOf(entry);

  const chunks = []; // { file, names, text } per declaration
  const declaredIn = new Map();
  for (const [file, sf] of files) {
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) continue; // relative: dissolved
      const names = ts.isVariableStatement(st) ? st.declarationList.declarations.map((d) => d.name.getText(sf)) : st.name ? [st.name.text] : [];
      for (const n of names) {
        if (declaredIn.has(n) && declaredIn.get(n) !== file) throw new Error(`"${n}" is declared in both ${relative(SDK, declaredIn.get(n))} and ${relative(SDK, file)}`);
        declaredIn.set(n, file);
      }
      let text = sf.text.slice(st.pos, st.end);
      const exp = hasExport(st) ? ts.getModifiers(st).find((m) => m.kind === ts.SyntaxKind.ExportKeyword) : null;
      if (exp) text = text.slice(0, exp.getStart(sf) - st.pos) + text.slice(exp.end - st.pos).replace(/^\s+/, "");
      chunks.push({ file, names, text: "\n" + text.replace(/^\s+/, "") });
    }
  }
  // Declarations neither exported by the entry nor named by another one (toVitrineError) go.
  const used = (c) => c.names.length === 0 || c.names.some((n) => publicNames.has(n) || chunks.some((o) => o !== c && new RegExp(`\\b${n}\\b`).test(o.text)));
  const body = [];
  for (const file of files.keys()) {
    const kept = chunks.filter((c) => c.file === file && used(c));
    if (kept.length > 0) body.push(`// ── ${relative(SDK, file)}${kept.map((c) => c.text).join("")}`);
  }
  const values = [...publicNames].filter(([, v]) => v).map(([n]) => n);
  const types = [...publicNames].filter(([, v]) => !v).map(([n]) => n);
  return [
    `// Type declarations of ${title}. Generated by sdk/build.mjs from sdk/*.ts (the data types written out from the server's AppRouter); self-contained.`,
    ...body,
    "",
    `export { ${values.join(", ")} };`,
    `export type { ${types.join(", ")} };`,
    "",
  ].join("\n");
}

/** The declarations must compile alone: strict, no skipLibCheck, only the ES and DOM libs. */
function checkDeclarations(text) {
  const name = "/__vitrine_sdk_check__/index.d.ts";
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: [],
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === name ? ts.createSourceFile(f, text, lang) : read(f, lang, ...rest));
  host.fileExists = (
    (exists) => (f) =>
      f === name || exists(f)
  )(host.fileExists.bind(host));
  const program = ts.createProgram([name], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const msgs = diagnostics.map((d) => {
      const at = d.file && d.start !== undefined ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
      return at + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    });
    throw new Error(`the bundled declarations do not compile:\n${msgs.join("\n")}\n---\n${text}`);
  }
}

/**
 * The server's AppRouter for the `@vitrine/sdk/router` entry (dist/router.d.ts and .d.cts, which
 * differ only in the file they import the public types from). TypeScript's declaration emit of
 * api/http/router.ts spells appRouter's type out, procedure by procedure with their inputs; each server
 * type it names (import("./service/types.ts").RetrieveResult) becomes the public type it equals,
 * tRPC's own types are imported from @trpc/server (the entry's one requirement: an optional peer),
 * and the router's ctx (the server's Context: services, auth, rate limiter) becomes `object`, which
 * no client reads.
 */
function routerDeclarations(program, nameOf, title) {
  const checker = program.getTypeChecker();
  let emitted = null;
  const result = program.emit(program.getSourceFile(ROUTER), (name, text) => (emitted = name.endsWith(".d.ts") ? text : emitted), undefined, true);
  if (result.diagnostics.length > 0 || emitted === null) throw new Error(`declaration emit of api/http/router.ts failed:\n${formatDiagnostics(result.diagnostics)}`);
  const sf = ts.createSourceFile(join(ROOT, "api", "http", "router.d.ts"), emitted, ts.ScriptTarget.Latest, true);
  const declaration = sf.statements
    .filter(ts.isVariableStatement)
    .flatMap((st) => st.declarationList.declarations)
    .find((d) => d.name.getText(sf) === "appRouter");
  if (!declaration?.type) throw new Error("api/http/router.ts: no `appRouter` declaration emitted");

  /** The type a module of the server exports as `name`. */
  const serverType = (file, name) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file));
    let symbol = module && checker.getExportsOfModule(module).find((e) => e.name === name);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    if (!symbol) throw new Error(`${relative(ROOT, file)} exports no ${name}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  const trpc = new Set();
  const publicTypes = new Set();
  const edits = [];
  const visit = (node) => {
    if (ts.isImportTypeNode(node)) {
      const spec = ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal) ? node.argument.literal.text : null;
      if (spec === null || node.isTypeOf || !node.qualifier || !ts.isIdentifier(node.qualifier)) throw new Error(`api/http/router.d.ts: cannot publish ${node.getText(sf)}`);
      const name = node.qualifier.text;
      if (spec === "@trpc/server") {
        trpc.add(name);
        edits.push({ start: node.getStart(sf), end: node.qualifier.getStart(sf), text: "" }); // keep the type arguments, rewritten below
      } else if (ts.isPropertySignature(node.parent) && node.parent.name.getText(sf) === "ctx") {
        edits.push({ start: node.getStart(sf), end: node.end, text: "object" });
        return;
      } else {
        const publicName = nameOf(serverType(resolve(dirname(ROUTER), spec), name));
        if (!publicName) throw new Error(`api/http/router.ts: the router names ${name} (${spec}), which is none of the SDK's public types; derive it in sdk/types.ts`);
        publicTypes.add(publicName);
        edits.push({ start: node.getStart(sf), end: node.end, text: publicName });
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(declaration.type);
  const start = declaration.type.getStart(sf);
  let type = emitted.slice(start, declaration.type.end);
  for (const e of edits.sort((a, b) => b.start - a.start)) type = type.slice(0, e.start - start) + e.text + type.slice(e.end - start);
  const file = (index) =>
    [
      `// The server's tRPC router type for ${title}, for apps that call the API with their own tRPC client.`,
      "// Generated by sdk/build.mjs from api/http/router.ts; needs @trpc/server (an optional peer dependency).",
      `import type { ${[...trpc].sort().join(", ")} } from "@trpc/server";`,
      `import type { ${[...publicTypes].sort().join(", ")} } from "${index}";`,
      "/**",
      " * The Vitrine API as tRPC procedures (api/http/router.ts's AppRouter; the server's context left out):",
      ' * `createTRPCClient<AppRouter>({ links: [httpLink({ url: "http://127.0.0.1:8787/trpc", headers: { authorization: "Bearer <key>" } })] })`.',
      " */",
      `export type AppRouter = ${type};`,
      "",
    ].join("\n");
  return { esm: file("./index.js"), cjs: file("./index.cjs") };
}

/**
 * The published declarations must equal what they were written from. A program with dist's
 * index.d.ts and router.d.ts beside sdk/index.ts and api/http/router.ts asserts, under
 * exactOptionalPropertyTypes (so `x?: T` and `x?: T | undefined` count as different):
 *  - Equal<Published.X, Sdk.X> (member by member for objects) and mutual assignability, for every
 *    written-out type X;
 *  - the same for the router's inputs, outputs and errors against the server's AppRouter, and that
 *    a tRPC client typed by the published router answers retrieve with the server's output.
 */
function checkPublished(dts, routerDts, derived, oldProgram) {
  const dir = join(SDK, "__vitrine_sdk_check__");
  const index = join(dir, "index.d.ts");
  const router = join(dir, "router.d.ts");
  const check = join(dir, "check.ts");
  const lines = [
    `import type { createTRPCClient } from "@trpc/client";`,
    `import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from "@trpc/server";`,
    `import type * as P from "./index.js";`,
    `import type { AppRouter as PublishedRouter } from "./router.js";`,
    `import type * as S from ${JSON.stringify(ENTRY)};`,
    `import type { AppRouter as ServerRouter } from ${JSON.stringify(ROUTER)};`,
    "type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;",
    "type Expect<T extends true> = T;",
    "// An intersection is not identical to the one object it amounts to: objects compare member by member.",
    "type Members<T> = { [K in keyof T]: T[K] };",
    "// Equal does not tell `x?: T` from `x?: T | undefined`; assignability under exactOptionalPropertyTypes does.",
    "type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
    "type Same<A, B> = Equal<A, B> extends true ? Mutual<A, B> : false;",
    "type Client = ReturnType<typeof createTRPCClient<PublishedRouter>>;",
  ];
  const checks = [];
  const add = (label, text) => {
    checks.push({ label, line: lines.length });
    lines.push(text);
  };
  for (const d of derived) {
    const [p, q] = d.isObject ? [`Members<P.${d.name}>`, `Members<S.${d.name}>`] : [`P.${d.name}`, `S.${d.name}`];
    add(d.name, `export type ${d.name} = [Expect<Equal<${p}, ${q}>>, Expect<Mutual<P.${d.name}, S.${d.name}>>];`);
  }
  add("AppRouter inputs", "export type RouterInputs = Expect<Same<inferRouterInputs<PublishedRouter>, inferRouterInputs<ServerRouter>>>;");
  add("AppRouter outputs", "export type RouterOutputs = Expect<Same<inferRouterOutputs<PublishedRouter>, inferRouterOutputs<ServerRouter>>>;");
  add("AppRouter errors", "export type RouterErrors = Expect<Same<inferRouterError<PublishedRouter>, inferRouterError<ServerRouter>>>;");
  add("a tRPC client of AppRouter", `export type ClientRetrieve = Expect<Same<Awaited<ReturnType<Client["retrieve"]["query"]>>, inferRouterOutputs<ServerRouter>["retrieve"]>>;`);
  const virtual = new Map([
    [index, dts],
    [router, routerDts],
    [check, lines.join("\n")],
  ]);
  // skipLibCheck off, so the two declaration files are checked too.
  const options = { ...projectOptions(), exactOptionalPropertyTypes: true, skipLibCheck: false };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (virtual.has(f) ? ts.createSourceFile(f, virtual.get(f), lang) : read(f, lang, ...rest));
  host.fileExists = (
    (exists) => (f) =>
      virtual.has(f) || exists(f)
  )(host.fileExists.bind(host));
  host.directoryExists = (
    (exists) => (d) =>
      d === dir || exists(d)
  )(host.directoryExists.bind(host));
  const program = ts.createProgram({ rootNames: [check], options, host, oldProgram });
  const diagnostics = [...virtual.keys()].flatMap((f) => {
    const sf = program.getSourceFile(f);
    if (!sf) throw new Error(`${f} was not loaded by the check`);
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  });
  if (diagnostics.length > 0) {
    const failed = diagnostics.map((d) =>
      d.file?.fileName === check && d.start !== undefined ? checks.find((c) => c.line === d.file.getLineAndCharacterOfPosition(d.start).line)?.label : relative(SDK, d.file?.fileName ?? ""),
    );
    throw new Error(`the published declarations differ from what they were written from (${[...new Set(failed)].join(", ")}):\n${formatDiagnostics(diagnostics)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--outdir");
  const outdir = i > 0 ? resolve(process.argv[i + 1]) : undefined;
  const t0 = performance.now();
  const written = await buildSdk(outdir);
  for (const w of written) console.log(`${relative(process.cwd(), w.file).padEnd(28)} ${(w.bytes / 1024).toFixed(1).padStart(6)} KB`);
  console.log(`built in ${Math.round(performance.now() - t0)} ms`);
}
