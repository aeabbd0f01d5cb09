// The app factory must run on Cloudflare Workers too: its module graph may not reach node:
// built-ins, pino or prom-client (api/node and api/cli.ts plug those in). The same holds for
// api/http's entry, index.ts, which the Worker (api/edge) imports: it must not drag in the Node
// side of api/service and api/jobs either (they are reached through their types.ts).
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/** Our files and the external imports in the module graph of `entry` (beside this file). */
async function moduleGraph(entry: string): Promise<{ ours: string[]; external: string[] }> {
  const result = await build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    bundle: true,
    packages: "external",
    platform: "neutral",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const ours = Object.keys(result.metafile.inputs);
  const external = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((imp) => imp.external).map((imp) => imp.path));
  return { ours, external };
}

describe("createApp's module graph", () => {
  it("imports no node: built-ins, pino or prom-client", async () => {
    const { ours, external } = await moduleGraph("./app.ts");
    expect(ours.some((p) => p.endsWith("api/http/app.ts"))).toBe(true);
    expect(ours.filter((p) => /api\/(node\/[a-z-]+|cli|http\/config)\.ts$/.test(p))).toEqual([]);
    expect(external.filter((p) => p.startsWith("node:") || /^(pino|prom-client|@hono\/node-server)(\/|$)/.test(p))).toEqual([]);
    expect(external).toContain("@hono/trpc-server");
  });
});

describe("api/http's entry module graph", () => {
  it("reaches neither Node runtime code nor the store or the job manager (the Worker imports it)", async () => {
    const { ours, external } = await moduleGraph("./index.ts");
    expect(ours.some((p) => p.endsWith("api/http/config.ts"))).toBe(true);
    expect(ours.filter((p) => /api\/(node\/|cli\.ts|service\/(?!types\.ts)|jobs\/(?!types\.ts|errors\.ts))/.test(p))).toEqual([]);
    expect(external.filter((p) => p.startsWith("node:") || /^(pino|prom-client|@hono\/node-server|@lancedb\/lancedb|cli-progress)(\/|$)/.test(p))).toEqual([]);
  });
});
