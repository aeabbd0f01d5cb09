// The app factory must run on Cloudflare Workers too: its module graph may not reach node:
// built-ins, pino or prom-client (api/node and api/cli.ts plug those in).
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("createApp's module graph", () => {
  it("imports no node: built-ins, pino or prom-client", async () => {
    const result = await build({
      entryPoints: [new URL("./app.ts", import.meta.url).pathname],
      bundle: true,
      packages: "external",
      platform: "neutral",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const ours = Object.keys(result.metafile.inputs);
    expect(ours.some((p) => p.endsWith("api/http/app.ts"))).toBe(true);
    expect(ours.filter((p) => /api\/(node\/[a-z-]+|cli|http\/config)\.ts$/.test(p))).toEqual([]);
    const external = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((imp) => imp.external).map((imp) => imp.path));
    expect(external.filter((p) => p.startsWith("node:") || /^(pino|prom-client|@hono\/node-server)(\/|$)/.test(p))).toEqual([]);
    expect(external).toContain("@hono/trpc-server");
  });
});
