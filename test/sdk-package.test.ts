// @vitrine/sdk as an app gets it: sdk/build.mjs builds it (into a temp copy of the package, so the
// work tree is left alone), `npm pack` packs it, and two fresh apps — one "type": "module" that
// imports it, one CommonJS that requires it — install the tarball with npm, run with plain `node`
// against a real served release, and type-check with the tsconfig `tsc --init` writes. A third app
// types its own tRPC client with the package's `@vitrine/sdk/router` entry.
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode, type NodeServer } from "../api/node/index.ts";
import { createRetrievalService, type RetrievalService } from "../api/service/index.ts";
import { createHashEncoder } from "../core/index.ts";
import { importData } from "../ingest/index.ts";
import { publishRelease } from "../lancedb/index.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const READ_KEY = "read-key-0123456789abcdef";
/** Packages an app of the SDK must never pull in, directly or not. */
const HEAVY = /tensorflow|tfjs|onnxruntime|lancedb|sharp|apache-arrow|parquet|hono/;

// Children get the environment minus npm's own variables (npm test sets npm_config_* that would
// point a nested npm at this repository) and minus NODE_OPTIONS (so `node` is plain node).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS"));

/** Run a command; resolves with stdout, rejects with the command, its stdout and stderr. */
function run(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...env, ...extraEnv }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--no-update-notifier"], cwd);
const node = (args: string[], cwd: string, extraEnv?: Record<string, string>) => run(process.execPath, args, cwd, extraEnv);

let dir: string;
let service: RetrievalService;
let server: NodeServer;
let packed: { filename: string; size: number; files: { path: string }[] };
let tarball: string;
const esmApp = () => join(dir, "app-esm");
const cjsApp = () => join(dir, "app-cjs");
const trpcApp = () => join(dir, "app-trpc");

/** A small shop, imported and published with the hash encoder, served on 127.0.0.1. */
async function startServer(): Promise<void> {
  const items = [];
  let i = 0;
  for (const b of ["Acme", "Zed"])
    for (const [t, c] of [
      ["Dress", "Women>Dresses"],
      ["Hat", "Accessories>Hats"],
    ] as const)
      for (let v = 0; v < 10; v++) items.push({ id: `p${i++}`, title: `${b} ${v % 2 ? "red" : "blue"} ${t} ${v}`, brand: b, category: c, price: 5 + v });
  await writeFile(join(dir, "catalog.jsonl"), items.map((x) => JSON.stringify(x)).join("\n"));
  await writeFile(join(dir, "clicks.jsonl"), ["red dress", "blue hat"].map((q, k) => JSON.stringify({ query: q, item_id: `p${k}` })).join("\n"));
  const data = join(dir, "data");
  await importData({ catalog: join(dir, "catalog.jsonl"), clicks: join(dir, "clicks.jsonl"), out: data, images: false, evalFraction: 0 });
  await publishRelease({ dataDir: data, encoder: createHashEncoder(), topK: 20 });
  service = await createRetrievalService({ dataDir: data, pollMs: 0 });
  server = await serveNode({ service, port: 0, host: "127.0.0.1", config: { keys: [{ id: "app", key: READ_KEY, role: "read" }], logLevel: "silent", rateLimit: null } });
}

/** Build into a copy of the package and `npm pack` it (what `npm pack -w sdk` does, minus touching sdk/dist). */
async function buildAndPack(): Promise<void> {
  const pkg = join(dir, "pkg");
  await mkdir(pkg);
  for (const f of ["package.json", "README.md"]) await copyFile(join(ROOT, "sdk", f), join(pkg, f));
  await node([join(ROOT, "sdk", "build.mjs"), "--outdir", join(pkg, "dist")], ROOT);
  const out = await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", dir], pkg);
  packed = (JSON.parse(out) as (typeof packed)[])[0]!;
  tarball = join(dir, packed.filename);
}

const ESM_MAIN = `import { createClient, VitrineError } from "@vitrine/sdk";
const vitrine = createClient({ url: process.env.VITRINE_URL, apiKey: process.env.VITRINE_KEY });
const r = await vitrine.retrieve("red dress", { k: 5, filters: { price: { lte: 100 } } });
const records = await vitrine.items.get(r.items.slice(0, 2).map((i) => i.id));
const health = await vitrine.health();
const error = await createClient({ url: process.env.VITRINE_URL, apiKey: "wrong-key-wrong-key-wrong" }).retrieve("dress").then(
  () => null,
  (e) => ({ isVitrineError: e instanceof VitrineError, code: e.code, status: e.status }),
);
console.log(JSON.stringify({ release: r.release, path: r.path, ids: r.items.map((i) => i.id), records: records.map((i) => i.id), health, error }));
`;
// The same program, CommonJS: require and an async main.
const CJS_MAIN = `const { createClient, VitrineError } = require("@vitrine/sdk");
async function main() {
${ESM_MAIN.split("\n").slice(1).join("\n")}}
main().catch((e) => { console.error(e); process.exit(1); });
`;

// What an app writes; the @ts-expect-error lines fail the check if the types were `any`.
const APP_BODY = `
async function search(query: string): Promise<string[]> {
  const filters: Filters = { brand: ["Acme", "Zed"], price: { lte: 80 }, attributes: { material: "cotton" } };
  const r: RetrieveResult = await vitrine.retrieve(query, { k: 20, filters, relax: false });
  const tree = await vitrine.retrieve(query, { filters: { op: "and", filters: [{ op: "eq", field: "brand", value: "Acme" }, { op: "range", field: "price", lte: 9 }] } });
  // @ts-expect-error k is a number
  await vitrine.retrieve(query, { k: "20" });
  // @ts-expect-error filter fields are brand, category, price or attributes.<key>
  await vitrine.retrieve(query, { filters: { op: "eq", field: "colour", value: "red" } });
  const job = await vitrine.jobs.trigger({ kind: "retrain", config: { preset: "cpu", gate: { metrics: ["ndcg@10", "recall@100"], tolerance: 0.01 } } });
  for await (const e of vitrine.jobs.watch(job.id)) if (e.job.state === "succeeded" && e.job.gate?.passed) break;
  try {
    await vitrine.releases.activate("r002");
  } catch (e) {
    if (e instanceof VitrineError && e.code === "FORBIDDEN") return [e.message, String(e.requestId)];
  }
  const first = r.items[0];
  return [...tree.items.map((i) => i.title), first ? \`\${first.id}: \${first.brand ?? "?"} \${first.price ?? 0}\` : "none"];
}
search("red dress").then((lines) => console.log(lines.join("\\n")));
`;
const ESM_APP = `import { createClient, VitrineError, type Filters, type RetrieveResult } from "@vitrine/sdk";
const vitrine = createClient({ url: "http://127.0.0.1:8787", apiKey: "read-key" });
${APP_BODY}`;
// CommonJS under verbatimModuleSyntax (tsc --init's default): import = require, types through the namespace.
const CJS_APP = `import sdk = require("@vitrine/sdk");
type Filters = sdk.Filters;
type RetrieveResult = sdk.RetrieveResult;
const { createClient, VitrineError } = sdk;
const vitrine = createClient({ url: "http://127.0.0.1:8787", apiKey: "read-key" });
${APP_BODY}`;

/** A fresh app: package.json, the tarball installed with npm, the runnable script, app.ts and tsc --init's tsconfig. */
async function makeApp(at: string, type: "module" | "commonjs"): Promise<void> {
  await mkdir(at);
  const pkg = { name: `vitrine-sdk-${type}-app`, version: "1.0.0", private: true, ...(type === "module" ? { type: "module" } : {}) };
  await writeFile(join(at, "package.json"), JSON.stringify(pkg, null, 2));
  // --prefer-offline: @vitrine/sdk's dependencies come from npm's cache when there (this repo's install put them there).
  await npm(["install", "--prefer-offline", "--ignore-scripts", tarball], at);
  await writeFile(join(at, "main.js"), type === "module" ? ESM_MAIN : CJS_MAIN);
  await writeFile(join(at, "app.ts"), type === "module" ? ESM_APP : CJS_APP);
  await node([TSC, "--init"], at);
}

// An app with its own tRPC client, typed by the router entry (tRPC's packages are linked from this
// repository's node_modules: what the app's own `npm install @trpc/client` would bring).
const TRPC_APP = `import { createTRPCClient, httpLink } from "@trpc/client";
import type { RetrieveResult } from "@vitrine/sdk";
import type { AppRouter } from "@vitrine/sdk/router";
const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: "http://127.0.0.1:8787/trpc", headers: { authorization: "Bearer read-key" } })] });
export async function search(query: string): Promise<string[]> {
  const r: RetrieveResult = await trpc.retrieve.query({ query, k: 20 });
  // @ts-expect-error k is a number
  await trpc.retrieve.query({ query, k: "20" });
  const job = await trpc.jobs.trigger.mutate({ kind: "retrain", config: { preset: "cpu" } });
  // @ts-expect-error releases.activate takes { release }
  await trpc.releases.activate.mutate("r002");
  return [...r.items.map((i) => i.title), job.state];
}
`;

async function makeTrpcApp(at: string): Promise<void> {
  await mkdir(at);
  await writeFile(join(at, "package.json"), JSON.stringify({ name: "vitrine-sdk-trpc-app", version: "1.0.0", private: true, type: "module" }, null, 2));
  await npm(["install", "--prefer-offline", "--ignore-scripts", tarball], at);
  await mkdir(join(at, "node_modules", "@trpc"));
  for (const p of ["client", "server"]) await symlink(join(ROOT, "node_modules", "@trpc", p), join(at, "node_modules", "@trpc", p), "dir");
  await writeFile(join(at, "app.ts"), TRPC_APP);
  await node([TSC, "--init"], at);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vitrine-sdk-pkg-"));
  await Promise.all([startServer(), buildAndPack()]);
  await Promise.all([makeApp(esmApp(), "module"), makeApp(cjsApp(), "commonjs"), makeTrpcApp(trpcApp())]);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await service?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("@vitrine/sdk as a package", () => {
  it("the tarball is under 100 KB, holds only the build, and depends on no ML or DB package", async () => {
    expect(packed.size).toBeLessThan(100_000);
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      "README.md",
      "dist/index.cjs",
      "dist/index.d.cts",
      "dist/index.d.ts",
      "dist/index.js",
      "dist/router.d.cts",
      "dist/router.d.ts",
      "package.json",
    ]);
    const installed = join(esmApp(), "node_modules", "@vitrine", "sdk");
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as Record<string, Record<string, unknown> | undefined>;
    // tRPC's client is bundled into dist; @trpc/server is an optional peer, for the router entry's types only.
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(["eventsource"]);
    expect(manifest.peerDependencies).toEqual({ "@trpc/server": expect.any(String) });
    expect(manifest.peerDependenciesMeta).toEqual({ "@trpc/server": { optional: true } });
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) expect(Object.keys(manifest[field] ?? {}).filter((d) => HEAVY.test(d))).toEqual([]);
    // Nothing heavy arrives transitively either: the app's whole node_modules.
    const top = await readdir(join(esmApp(), "node_modules"));
    const scoped = await Promise.all(top.filter((n) => n.startsWith("@")).map(async (s) => (await readdir(join(esmApp(), "node_modules", s))).map((n) => `${s}/${n}`)));
    const all = [...top.filter((n) => !n.startsWith("@") && !n.startsWith(".")), ...scoped.flat()].sort();
    expect(all.filter((n) => HEAVY.test(n))).toEqual([]);
    // No tRPC package, and so no TypeScript (both tRPC packages declare it a required peer): only eventsource and its parser come.
    expect(all).toEqual(["@vitrine/sdk", "eventsource", "eventsource-parser"]);
    // The types stand alone: no import of anything, no server path.
    const dts = await readFile(join(installed, "dist", "index.d.ts"), "utf8");
    expect(dts).not.toMatch(/^\s*import\b|from\s+["']|import\(/m);
    expect(dts).toContain("declare function createClient(options: ClientOptions): VitrineClient;");
    for (const f of ["index.js", "index.cjs"]) {
      const js = await readFile(join(installed, "dist", f), "utf8");
      expect(js).not.toMatch(/\b(api|core|lancedb)\//);
      // tRPC's client is inside, under its license notice.
      expect(js).toMatch(/Bundled: @trpc\/client [\d.]+, @trpc\/server [\d.]+ \(MIT License\)/);
    }
    // The router entry imports @trpc/server's types and the public types, nothing of the server's source.
    const router = await readFile(join(installed, "dist", "router.d.ts"), "utf8");
    expect([...router.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1])).toEqual(["@trpc/server", "./index.js"]);
    expect(router).not.toMatch(/import\(/);
  });

  it.each([
    ['a "type": "module" app imports it', esmApp],
    ["a CommonJS app requires it", cjsApp],
  ])("%s and retrieves from the served release with plain node", async (_, app) => {
    const out = await node(["main.js"], app(), { VITRINE_URL: server.url, VITRINE_KEY: READ_KEY });
    const got = JSON.parse(out) as { release: string; path: string; ids: string[]; records: string[]; health: unknown; error: unknown };
    expect(got.release).toBe("r001");
    expect(got.ids).toHaveLength(5);
    expect(got.records).toEqual(got.ids.slice(0, 2));
    expect(got.health).toEqual({ ok: true, release: "r001" });
    expect(got.error).toEqual({ isVitrineError: true, code: "UNAUTHORIZED", status: 401 });
  });

  it.each([
    ["the ESM app", esmApp],
    ["the CommonJS app", cjsApp],
  ])("%s type-checks with tsc --init's defaults, without server files", async (_, app) => {
    const tsconfig = await readFile(join(app(), "tsconfig.json"), "utf8");
    expect(tsconfig).toMatch(/"module": "nodenext"/);
    expect(tsconfig).toMatch(/"strict": true/);
    await node([TSC, "--noEmit", "-p", "."], app());
    const files = (await node([TSC, "--noEmit", "-p", ".", "--listFilesOnly"], app())).split("\n").filter((f) => f.length > 0 && !/\/typescript\/lib\//.test(f));
    expect(files.map((f) => f.slice(app().length + 1)).sort()).toEqual(["app.ts", `node_modules/@vitrine/sdk/dist/index.d.${app === esmApp ? "ts" : "cts"}`]);
  });

  it("an app's own tRPC client is typed by @vitrine/sdk/router (tsc --init's defaults)", async () => {
    await node([TSC, "--noEmit", "-p", "."], trpcApp());
    const files = (await node([TSC, "--noEmit", "-p", ".", "--listFilesOnly"], trpcApp())).split("\n");
    expect(
      files
        .filter((f) => f.includes("@vitrine/sdk"))
        .map((f) => f.slice(f.indexOf("@vitrine/sdk")))
        .sort(),
    ).toEqual(["@vitrine/sdk/dist/index.d.ts", "@vitrine/sdk/dist/router.d.ts"]);
  });
});
